package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemTags;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's batch writes (io.rebound.core.storage.BatchJournalDao): every event lands with its
 * item's slice tag in its row, in sequence order, and replays after a restart (batch by batch).
 * On H2 here, on PostgreSQL in {@link PostgresJournalWritesTest}.
 */
class JournalWritesTest {
  private static final String QUEUES = """
      rebound.queues.work {
        handler.type = simulated
        concurrency = 16
        retry { max-attempts = 3, initial = 0ms, jitter = none }
      }
      # Recoveries read an item's three to five events in several batches.
      jdbc-journal.replayBatchSize = 2
      """;

  @TempDir Path dir;

  protected Config config() {
    return TestNodes.config(dir, QUEUES);
  }

  @Test
  void every_event_is_written_once_with_its_items_slice_tag_and_replays_after_a_restart() throws Exception {
    Config config = config();
    List<String> ids = new ArrayList<>();
    int tagSlices;
    try (Rebound node = Rebound.start(config)) {
      for (int i = 0; i < 200; i++) {
        // A third fail once first: three, four or five events per item, written by one batch or several.
        String payload = i % 3 == 0 ? "{\"fail\":1,\"kind\":\"TRANSIENT\"}" : "{}";
        ids.add(await(node.enqueue("work", EnqueueRequest.builder(payload).build())).item().id());
      }
      TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(60));
      // The read side finds every item through its slice's events-by-tag query (TagRangeReadJournalDao).
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
          await(node.index().stats("work", java.time.Instant.now())).counts().getOrDefault(ItemStatus.SUCCEEDED, 0L) == ids.size());
      tagSlices = node.system().settings().config().getInt("rebound.index.tag-slices");

      try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(),
              config.hasPath("rebound.database.user") ? config.getString("rebound.database.user") : "sa", "");
          Statement st = c.createStatement()) {
        Map<String, List<Long>> sequenceByOrdering = new HashMap<>();
        int events = 0;
        // An item event's one tag is in its own row (BatchJournalDao): no tag table row.
        try (ResultSet rs = st.executeQuery("SELECT j.\"persistence_id\", j.\"sequence_number\", j.\"rebound_tag\" FROM \"event_journal\" j"
            + " WHERE j.\"rebound_tag\" IS NOT NULL ORDER BY j.\"ordering\"")) {
          while (rs.next()) {
            String id = rs.getString(1).substring("Item|".length());
            assertEquals(ItemTags.tagFor(id, tagSlices), rs.getString(3), "the tag of " + rs.getString(1));
            sequenceByOrdering.computeIfAbsent(id, k -> new ArrayList<>()).add(rs.getLong(2));
            events++;
          }
        }
        try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM \"event_journal\"")) {
          rs.next();
          assertEquals(rs.getInt(1), events, "every event carries its tag");
        }
        try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM \"event_tag\"")) {
          rs.next();
          assertEquals(0, rs.getInt(1), "tag rows");
        }
        for (String id : ids) {
          List<Long> seqs = sequenceByOrdering.get(id);
          for (int k = 0; k < seqs.size(); k++) {
            assertEquals(k + 1L, seqs.get(k), "item " + id + "'s events in journal order");
          }
        }
      }
    }
    try (Rebound again = Rebound.start(config)) {
      for (int i = 0; i < ids.size(); i++) {
        ItemView v = await(again.status(ids.get(i))).orElseThrow();
        assertEquals(ItemStatus.SUCCEEDED, v.status(), ids.get(i));
        assertEquals(i % 3 == 0 ? 2 : 1, v.attempts(), ids.get(i));
      }
    }
  }
}
