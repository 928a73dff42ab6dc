package io.rebound.core.storage;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemTags;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.awaitility.Awaitility;
import org.h2.api.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read side's events-by-tag query ({@link TagRangeReadJournalDao}) while the journal changes
 * under it, as it always does under load. Written as {@code ordering IN (subquery)}, H2 ran the
 * subquery on the tag table again for every row it returned once the journal had changed since the
 * last run: a poll of n events read n times n tag rows, and the read side took a quarter of the
 * node's CPU.
 */
class SliceReadTest {
  @TempDir Path dir;

  /** Counts H2's reads of the tag table: a BEFORE SELECT trigger fires once per query (or subquery) run. */
  public static final class TagReads implements Trigger {
    static final AtomicInteger RUNS = new AtomicInteger();

    @Override
    public void fire(Connection conn, Object[] oldRow, Object[] newRow) {
      RUNS.incrementAndGet();
    }
  }

  @Test
  void aSliceIsReadWithOneRunOverItsTagRowsPerQueryWhileOtherWritesCommit() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, """
        rebound.queues.work { handler.type = simulated, concurrency = 64 }
        """))) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        ids.add(await(node.enqueue("work", EnqueueRequest.builder("{}").build())).item().id());
      }
      TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(60));
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> await(node.index().stats("work", Instant.now()))
          .counts().getOrDefault(ItemStatus.SUCCEEDED, 0L) == ids.size());
      int slices = node.system().settings().config().getInt("rebound.index.tag-slices");
      String tag = ItemTags.tagFor(ids.get(0), slices);

      String url = node.settings().effectiveDatabaseUrl();
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger written = new AtomicInteger();
      Thread writer;
      try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement st = c.createStatement()) {
        st.execute("CREATE TRIGGER tag_reads BEFORE SELECT ON \"event_tag\" CALL \"" + TagReads.class.getName() + "\"");
        // Another writer's events, committed one by one while the slice is read (untagged: no slice reads them).
        writer = new Thread(() -> {
          try (Connection w = DriverManager.getConnection(url, "sa", "");
              PreparedStatement ins = w.prepareStatement("INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\","
                  + " \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\")"
                  + " VALUES ('other', ?, 'w', 0, '', X'00', 1, '')")) {
            while (writing.get()) {
              ins.setLong(1, written.incrementAndGet());
              ins.executeUpdate();
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        writer.start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> written.get() > 100);

        JdbcReadJournal journal = PersistenceQuery.get(node.system()).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
        TagReads.RUNS.set(0);
        List<EventEnvelope> events = journal.currentEventsByTag(tag, Offset.sequence(0)).runWith(Sink.seq(), node.system())
            .toCompletableFuture().get();
        int runs = TagReads.RUNS.get();
        writing.set(false);
        writer.join();
        st.execute("DROP TRIGGER tag_reads");

        long expected = ids.stream().filter(id -> ItemTags.tagFor(id, slices).equals(tag)).count() * 3;
        assertEquals(expected, events.size(), "the slice's three events per item");
        assertTrue(written.get() > 100, "the other writer committed meanwhile");
        // One run per query of max-buffer-size (500) events and one to find the end; the node's own
        // projections poll their slices meanwhile, once a second each.
        int queries = events.size() / 500 + 2;
        assertTrue(runs <= 2 * queries + 8, runs + " runs over the tag table for " + events.size() + " events in " + queries + " queries");
      }
    }
  }
}
