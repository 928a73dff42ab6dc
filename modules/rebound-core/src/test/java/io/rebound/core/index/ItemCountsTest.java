package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemStatus;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Depth is read from counts the writers of {@code rebound_item} keep beside its rows, in the same
 * transaction: after any mix of writes the counts are what counting the rows gives.
 */
class ItemCountsTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  Connection c;
  private String url;

  /** A new database for a test: an H2 in memory here, PostgreSQL in {@link PostgresItemCountsTest}. */
  String newDatabase() throws SQLException {
    return "jdbc:h2:mem:counts-" + System.nanoTime() + ";DATABASE_TO_UPPER=false;LOCK_TIMEOUT=10000";
  }

  /** Another connection to the test's database. */
  Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url);
  }

  /** Until the other thread's insert waits for the row the first connection inserted and has not committed. */
  void awaitInsertWaiting(Thread other, Connection watch) {
    // H2 retries the insert until the other commits (or its lock timeout): a frame of its insert.
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(8)).until(() ->
        java.util.Arrays.stream(other.getStackTrace()).anyMatch(f -> f.getClassName().endsWith("command.dml.Insert")));
  }

  @BeforeEach
  void schema() throws SQLException {
    url = newDatabase();
    c = connect(url);
    IndexSchema.ensure(c, Map.of());
  }

  @AfterEach
  void close() throws Exception {
    c.close();
  }

  private static ItemEntity.Enqueued enqueued(String id, String queue) {
    return new ItemEntity.Enqueued(id, queue, null, "{}", 0, T, null, null);
  }

  /** What counting the rows gives: the figure the counts must match. */
  private Map<String, Map<ItemStatus, Long>> rowsCounted() throws SQLException {
    Map<String, Map<ItemStatus, Long>> out = new HashMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT queue, status, COUNT(*) FROM rebound_item GROUP BY queue, status")) {
      while (rs.next()) {
        out.computeIfAbsent(rs.getString(1), q -> new EnumMap<>(ItemStatus.class)).put(ItemStatus.valueOf(rs.getString(2)), rs.getLong(3));
      }
    }
    return out;
  }

  /** The counts, and each queue's attempts and most attempts, are what the rows say. */
  private void assertCountsAreTheRows(String what) throws SQLException {
    Map<String, Map<ItemStatus, Long>> rows = rowsCounted();
    assertEquals(rows, ItemCounts.byQueue(c), what);
    for (String queue : rows.keySet()) {
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT SUM(attempts), MAX(attempts) FROM rebound_item WHERE queue = '" + queue + "'")) {
        rs.next();
        ItemCounts.QueueFigures figures = ItemCounts.ofQueue(c, queue);
        assertEquals(rs.getLong(1), figures.attempts(), what + ": attempts of " + queue);
        assertEquals(rs.getInt(2), figures.maxAttempts(), what + ": most attempts in " + queue);
      }
    }
  }

  private void write(String slice, boolean oneByOne, java.util.function.Consumer<IndexUpdates> events) throws SQLException {
    IndexUpdates u = new IndexUpdates(false, IndexQuarantineTest.WAKE, slice);
    events.accept(u);
    c.setAutoCommit(false);
    try {
      if (oneByOne) {
        assertTrue(u.writeEach(c).isEmpty());
      } else {
        u.write(c);
      }
      c.commit();
    } finally {
      c.setAutoCommit(true);
    }
  }

  @Test
  void theProjectionsCountsAreTheRowsWhateverTheGroupsHold() throws Exception {
    for (boolean oneByOne : List.of(false, true)) {
      c.createStatement().execute("DELETE FROM rebound_item");
      c.createStatement().execute("DELETE FROM " + ItemCounts.TABLE);
      write("item-0", oneByOne, u -> {
        u.add("a", 1, enqueued("a", "q"));
        u.add("b", 1, enqueued("b", "q"));
        u.add("c", 1, enqueued("c", "other"));
        u.add("c", 2, new ItemEntity.AttemptStarted(1, 1, T));
        u.add("c", 3, new ItemEntity.Succeeded(1, 1, T));
      });
      assertEquals(Map.of("q", Map.of(ItemStatus.PENDING, 2L), "other", Map.of(ItemStatus.SUCCEEDED, 1L)), ItemCounts.byQueue(c));
      write("item-1", oneByOne, u -> {
        u.add("a", 2, new ItemEntity.AttemptStarted(1, 1, T));
        u.add("a", 3, new ItemEntity.AttemptFailed(1, 1, ErrorKind.TRANSIENT, "boom", null, T, T.plusSeconds(60)));
        u.add("b", 2, new ItemEntity.AttemptStarted(1, 1, T));
        u.add("b", 3, new ItemEntity.Succeeded(1, 1, T));
        u.add("c", 2, new ItemEntity.AttemptStarted(1, 1, T)); // late: the row is at event 3 and stays
        u.add("never-seen", 5, new ItemEntity.Succeeded(2, 2, T)); // no row: nothing to count
      });
      assertCountsAreTheRows(oneByOne ? "written one by one" : "written in batches");
      assertEquals(Map.of("q", Map.of(ItemStatus.WAITING, 1L, ItemStatus.SUCCEEDED, 1L), "other", Map.of(ItemStatus.SUCCEEDED, 1L)),
          ItemCounts.byQueue(c));
      write("item-0", oneByOne, u -> {
        // A new life of an id whose row is still there (its journal purged before its row).
        u.add("b", 5, enqueued("b", "q"));
      });
      assertCountsAreTheRows("a new life");
      assertEquals(Map.of("q", Map.of(ItemStatus.WAITING, 1L, ItemStatus.PENDING, 1L), "other", Map.of(ItemStatus.SUCCEEDED, 1L)),
          ItemCounts.byQueue(c));
    }
  }

  @Test
  void aRefusedItemIsCountedNeitherWay() throws Exception {
    write("item-0", false, u -> u.add("a", 1, enqueued("a", "q")));
    IndexUpdates u = new IndexUpdates(false, IndexQuarantineTest.WAKE, "item-0");
    u.add("a", 2, new ItemEntity.AttemptStarted(1, 1, T));
    u.add("long", 1, enqueued("long", "q".repeat(300))); // longer than the queue column: refused
    c.setAutoCommit(false);
    List<IndexUpdates.Refused> refused = u.writeEach(c);
    c.commit();
    c.setAutoCommit(true);
    assertEquals(1, refused.size());
    assertEquals(Map.of("q", Map.of(ItemStatus.RUNNING, 1L)), ItemCounts.byQueue(c));
    assertCountsAreTheRows("one refused");
  }

  @Test
  void aGroupRolledBackLeavesTheCountsAsTheyWere() throws Exception {
    write("item-0", false, u -> u.add("a", 1, enqueued("a", "q")));
    IndexUpdates u = new IndexUpdates(false, IndexQuarantineTest.WAKE, "item-0");
    u.add("a", 2, new ItemEntity.AttemptStarted(1, 1, T));
    u.add("b", 1, enqueued("b", "q"));
    c.setAutoCommit(false);
    u.write(c);
    c.rollback();
    c.setAutoCommit(true);
    assertEquals(Map.of("q", Map.of(ItemStatus.PENDING, 1L)), ItemCounts.byQueue(c));
  }

  @Test
  void anIndexFromAnEarlierVersionIsCountedOnceWhenTheTableIsCreated() throws Exception {
    write("item-0", false, u -> {
      u.add("a", 1, enqueued("a", "q"));
      u.add("b", 1, enqueued("b", "q"));
    });
    c.createStatement().execute("DROP TABLE " + ItemCounts.TABLE); // as an earlier version left it
    IndexSchema.ensure(c, Map.of());
    assertEquals(Map.of("q", Map.of(ItemStatus.PENDING, 2L)), ItemCounts.byQueue(c));
    assertCountsAreTheRows("counted at the upgrade");
    IndexSchema.ensure(c, Map.of()); // every later start
    assertEquals(Map.of("q", Map.of(ItemStatus.PENDING, 2L)), ItemCounts.byQueue(c), "counted once");
  }

  @Test
  void twoWritersAddingToTheSameNewRowBothCount() throws Exception {
    // The second insert of a writer's row (two nodes' retention runs at once) adds to the first.
    try (Connection a = connect(url); Connection b = connect(url); Connection watch = connect(url)) {
      a.setAutoCommit(false);
      b.setAutoCommit(false);
      ItemCounts first = new ItemCounts();
      first.moved(new ItemCounts.Row(new ItemCounts.Key("q", "SUCCEEDED"), 2), null);
      first.write(a, ItemCounts.RETENTION);
      java.util.concurrent.CompletableFuture<Void> second = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          ItemCounts minusOne = new ItemCounts();
          minusOne.moved(new ItemCounts.Row(new ItemCounts.Key("q", "SUCCEEDED"), 3), null);
          minusOne.write(b, ItemCounts.RETENTION); // waits for a's row, then adds to it
          b.commit();
        } catch (SQLException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }, r -> {
        Thread t = new Thread(r, "second-writer");
        t.start();
        secondWriter = t;
      });
      awaitInsertWaiting(secondWriter, watch);
      a.commit();
      second.get(15, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(Map.of("q", Map.of(ItemStatus.SUCCEEDED, -2L)), ItemCounts.byQueue(watch));
      assertEquals(-5, ItemCounts.ofQueue(watch, "q").attempts());
    }
  }

  private volatile Thread secondWriter;

  @Test
  void aGroupThatFallsBackToItemByItemCountsEachWrittenItemOnce() throws Exception {
    write("item-0", false, u -> u.add("p", 1, enqueued("p", "q")));
    IndexProjection.Handler handler = new IndexProjection.Handler(false, IndexQuarantineTest.WAKE, new ProjectionHealth(), "item-0");
    IndexSession session = new IndexSession(c);
    handler.process(session, List.of(
        env("a", 1, enqueued("a", "q")),
        // Its row is written, then its parking is refused (a tool name longer than the column):
        // the group is rolled back and written item by item, "p" quarantined.
        env("p", 2, new ItemEntity.Parked(0, 0, List.of("t".repeat(300)), "down", T, T.plusSeconds(600)))));
    session.commit();
    c.setAutoCommit(true);
    assertEquals(Map.of("q", Map.of(ItemStatus.PENDING, 2L)), ItemCounts.byQueue(c));
    assertCountsAreTheRows("after the fallback");
  }

  @Test
  void aToolNamedTwiceParksTheItemOnce() throws Exception {
    write("item-0", false, u -> {
      u.add("p", 1, enqueued("p", "q"));
      u.add("p", 2, new ItemEntity.Parked(0, 0, List.of("db", "db"), "down", T, T.plusSeconds(600)));
    });
    assertEquals(Map.of("q", Map.of(ItemStatus.PARKED, 1L)), ItemCounts.byQueue(c));
    assertCountsAreTheRows("parked");
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM rebound_parked")) {
      rs.next();
      assertEquals(1, rs.getInt(1));
    }
  }

  private static org.apache.pekko.projection.eventsourced.EventEnvelope<ItemEntity.Event> env(String id, long seqNr, ItemEntity.Event event) {
    return org.apache.pekko.projection.eventsourced.EventEnvelope.create(
        org.apache.pekko.persistence.query.Offset.sequence(seqNr), ItemEntity.persistenceId(id).id(), seqNr, event, 0L);
  }
}
