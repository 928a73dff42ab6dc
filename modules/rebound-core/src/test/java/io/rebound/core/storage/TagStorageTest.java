package io.rebound.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the journal keeps an event's tags ({@link BatchJournalDao}) and how a slice reads them back
 * ({@link TagRangeReadJournalDao}): one tag in the event's own row, several in the tag table, and
 * the tag rows older versions wrote for every event, merged in ordering.
 */
class TagStorageTest {
  @TempDir Path dir;

  /** A persistent actor whose every event carries the given tags. */
  static final class Tagged extends EventSourcedBehavior<Tagged.Write, String, String> {
    record Write(String event, ActorRef<Done> replyTo) {}

    private final Set<String> tags;

    Tagged(String persistenceId, Set<String> tags) {
      super(PersistenceId.ofUniqueId(persistenceId));
      this.tags = tags;
    }

    @Override
    public String emptyState() {
      return "";
    }

    @Override
    public CommandHandler<Write, String, String> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Write.class, (state, w) -> Effect().persist(w.event()).thenReply(w.replyTo(), s -> Done.getInstance()))
          .build();
    }

    @Override
    public EventHandler<String, String> eventHandler() {
      return (state, event) -> event;
    }

    @Override
    public Set<String> tagsFor(String event) {
      return tags;
    }
  }

  private Rebound start() {
    // Three events per query, so that a slice's read merges the two places across several queries.
    Config config = ConfigFactory.parseString("jdbc-read-journal.max-buffer-size = 3")
        .withFallback(TestNodes.config(dir, "rebound.queues.work { handler.type = simulated }"));
    return Rebound.start(config);
  }

  private static void write(Rebound node, ActorRef<Tagged.Write> actor, String event) throws Exception {
    AskPattern.<Tagged.Write, Done>ask(actor, reply -> new Tagged.Write(event, reply), Duration.ofSeconds(10),
        node.system().scheduler()).toCompletableFuture().get();
  }

  private static List<String> eventsByTag(Rebound node, String tag) throws Exception {
    JdbcReadJournal journal = PersistenceQuery.get(node.system()).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    List<String> out = new ArrayList<>();
    for (EventEnvelope e : journal.currentEventsByTag(tag, Offset.sequence(0)).runWith(Sink.seq(), node.system())
        .toCompletableFuture().get()) {
      out.add((String) e.event());
    }
    return out;
  }

  private static long count(Rebound node, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void anEventWithOneTagKeepsItInItsRowAndOneWithSeveralGetsATagRowForEach() throws Exception {
    try (Rebound node = start()) {
      ActorRef<Tagged.Write> one = node.system().systemActorOf(new Tagged("one", Set.of("a")), "one", Props.empty());
      ActorRef<Tagged.Write> two = node.system().systemActorOf(new Tagged("two", Set.of("a", "b")), "two", Props.empty());
      write(node, one, "one-1");
      write(node, two, "two-1");
      write(node, one, "one-2");

      assertEquals(2, count(node, "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'one' AND \"rebound_tag\" = 'a'"));
      assertEquals(0, count(node, "SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\""
          + " WHERE j.\"persistence_id\" = 'one'"));
      assertEquals(1, count(node, "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'two' AND \"rebound_tag\" IS NULL"));
      assertEquals(2, count(node, "SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\""
          + " WHERE j.\"persistence_id\" = 'two'"));

      assertEquals(List.of("one-1", "two-1", "one-2"), eventsByTag(node, "a"));
      assertEquals(List.of("two-1"), eventsByTag(node, "b"));
    }
  }

  /** Five rounds of one older event (tag row) and two newer ones (tag in the row), in that order. */
  private static List<String> olderAndNewer(Rebound node) throws Exception {
    ActorRef<Tagged.Write> older = node.system().systemActorOf(new Tagged("older", Set.of("s")), "older", Props.empty());
    ActorRef<Tagged.Write> newer = node.system().systemActorOf(new Tagged("newer", Set.of("s")), "newer", Props.empty());
    List<String> written = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      write(node, older, "older-" + i);
      write(node, newer, "newer-" + i);
      write(node, newer, "newer-" + i + "b");
      written.addAll(List.of("older-" + i, "newer-" + i, "newer-" + i + "b"));
    }
    // What a node of the previous version wrote: the tag in a tag row, none in the journal row.
    try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "");
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO \"event_tag\" (\"event_id\", \"tag\") SELECT \"ordering\", \"rebound_tag\" FROM \"event_journal\""
          + " WHERE \"persistence_id\" = 'older'");
      st.execute("UPDATE \"event_journal\" SET \"rebound_tag\" = NULL WHERE \"persistence_id\" = 'older'");
    }
    return written;
  }

  @Test
  void aStretchOfEventsAllMarkedDeletedInBothPlacesIsPassedOver() throws Exception {
    try (Rebound node = start()) {
      List<String> written = olderAndNewer(node);
      // The first query's three events (older-1, newer-1, newer-1b) are all marked deleted.
      try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "");
          Statement st = c.createStatement()) {
        st.execute("UPDATE \"event_journal\" SET \"deleted\" = TRUE WHERE (\"persistence_id\" = 'older' AND \"sequence_number\" = 1)"
            + " OR (\"persistence_id\" = 'newer' AND \"sequence_number\" <= 2)");
      }
      assertEquals(written.subList(3, written.size()), eventsByTag(node, "s"));
    }
  }

  @Test
  void aSliceReadsAnOlderVersionsTagRowsAndThisVersionsTaggedRowsTogetherInOrdering() throws Exception {
    try (Rebound node = start()) {
      List<String> expected = olderAndNewer(node);
      assertEquals(5, count(node, "SELECT COUNT(*) FROM \"event_tag\""));

      assertEquals(expected, eventsByTag(node, "s"));
    }
  }
}
