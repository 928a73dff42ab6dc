package io.rebound.core.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.index.IndexSchema;
import io.rebound.core.storage.SqlTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The waker's scan of rebound_item: which rows it takes up, and that it reads no others. */
class DueItemsTest {
  private static final Duration HORIZON = Duration.ofSeconds(10);
  private static final Duration SETTLE = Duration.ofSeconds(30);
  private static final WakeRule RULE = new WakeRule(HORIZON, SETTLE);
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private Connection c;

  @BeforeEach
  void schema() throws SQLException {
    c = DriverManager.getConnection("jdbc:h2:mem:due-" + System.nanoTime() + ";DATABASE_TO_UPPER=false");
    IndexSchema.ensure(c);
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  /** A PENDING row as the index writes it: changed at {@code changedAt}, due at {@code wakeAt}. */
  private void row(String id, int priority, Instant changedAt, Instant wakeAt) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("INSERT INTO rebound_item (id, queue, status, priority, attempts, created_at,"
        + " updated_at, wake_at, wake_after) VALUES (?, 'q', 'PENDING', ?, 0, ?, ?, ?, ?)")) {
      st.setString(1, id);
      st.setInt(2, priority);
      st.setObject(3, SqlTime.of(changedAt));
      st.setObject(4, SqlTime.of(changedAt));
      st.setObject(5, SqlTime.of(wakeAt));
      st.setObject(6, SqlTime.of(RULE.wakeAfter(wakeAt, changedAt)));
      st.executeUpdate();
    }
  }

  private List<String> due(Instant now, boolean everything) throws SQLException {
    return DueItems.due(c, "q", now.plus(HORIZON), everything, SETTLE, DueItems.Cursor.START, 100).stream()
        .map(DueItems.Row::id).toList();
  }

  @Test
  void itemsWaitingInMemoryAreNotTakenUpUntilTheirRowsSatUnchangedForSettle() throws SQLException {
    row("waiting", 0, NOW.minusSeconds(5), NOW.minusSeconds(5));
    row("on-its-timer", 0, NOW.minusSeconds(5), NOW.plusSeconds(3));

    assertEquals(List.of(), due(NOW, false));
    assertEquals(List.of(), due(NOW.plus(SETTLE).minusSeconds(6), false));
    // Both changed at once: taken up in the order of that change, then by id.
    assertEquals(List.of("on-its-timer", "waiting"), due(NOW.plus(SETTLE).minusSeconds(5), false));
  }

  @Test
  void anItemThatLeftMemoryIsTakenUpOnceDueWithinTheHorizonBestPriorityFirst() throws SQLException {
    row("later", 3, NOW.minusSeconds(3600), NOW.plusSeconds(60));
    row("low", 1, NOW.minusSeconds(3600), NOW.plusSeconds(5));
    row("high", 7, NOW.minusSeconds(3600), NOW.plusSeconds(9));

    assertEquals(List.of("high", "low"), due(NOW, false));
    assertEquals(List.of("high", "later", "low"), due(NOW.plusSeconds(50), false));
  }

  @Test
  void afterTheWakerStartsEveryDueRowIsTakenUpButNoneDueLater() throws SQLException {
    row("waiting", 0, NOW.minusSeconds(5), NOW.minusSeconds(5));
    row("left", 0, NOW.minusSeconds(3600), NOW.plusSeconds(2));
    row("not-yet", 0, NOW.minusSeconds(3600), NOW.plusSeconds(30));

    assertEquals(List.of("waiting", "left").stream().sorted().toList(), due(NOW, true).stream().sorted().toList());
  }

  @Test
  void aScanReadsTheRowsItTakesUpAndNeitherTheItemsWaitingInMemoryNorTheFinishedOnes() throws SQLException {
    for (int i = 0; i < 2_000; i++) {
      row("waiting-" + i, 0, NOW.minusMillis(i), NOW.minusMillis(i));
      row("done-" + i, 0, NOW.minusMillis(i), null);
    }
    row("left", 0, NOW.minusSeconds(3600), NOW.plusSeconds(2));

    assertEquals(List.of("left"), due(NOW, false));
    // H2 counts the index entries the statement read: the scan starts at the range, not before it.
    String plan;
    try (PreparedStatement st = c.prepareStatement("EXPLAIN ANALYZE " + DueItems.sql(false, false))) {
      DueItems.bind(st, "q", 0, NOW.plus(HORIZON), false, SETTLE, null, 100);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        plan = rs.getString(1);
      }
    }
    Matcher scanned = Pattern.compile("scanCount: (\\d+)").matcher(plan);
    assertTrue(scanned.find(), plan);
    assertTrue(Integer.parseInt(scanned.group(1)) <= 3, plan);
  }

  @Test
  void rowsWrittenWithoutWakeAfterGetTheirDueTime() throws SQLException {
    row("old", 4, NOW.minusSeconds(3600), NOW.plusSeconds(1));
    try (Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE rebound_item SET wake_after = NULL");
    }
    assertEquals(List.of(), due(NOW, false));

    assertEquals(1, DueItems.backfill(c, "q"));

    assertEquals(List.of("old"), due(NOW, false));
  }

  private void running(String id, String queue, Instant changedAt) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("INSERT INTO rebound_item (id, queue, status, priority, attempts, created_at,"
        + " updated_at) VALUES (?, ?, 'RUNNING', 0, 1, ?, ?)")) {
      st.setString(1, id);
      st.setString(2, queue);
      st.setObject(3, SqlTime.of(changedAt));
      st.setObject(4, SqlTime.of(changedAt));
      st.executeUpdate();
    }
  }

  @Test
  void theSweepForLostAttemptsReadsOnlyItsQueuesRunningRowsOlderThanTheCutOffOldestFirst() throws SQLException {
    for (int i = 0; i < 1_000; i++) {
      row("pending-" + i, 0, NOW.minusSeconds(3600), NOW.plusSeconds(3600));
      running("fresh-" + i, "q", NOW.minusMillis(i));
    }
    running("old-2", "q", NOW.minusSeconds(120));
    running("old-1", "q", NOW.minusSeconds(300));
    running("other-queue", "r", NOW.minusSeconds(300));

    assertEquals(List.of("old-1", "old-2"), DueItems.running(c, "q", NOW.minusSeconds(60), 10));
    assertEquals(List.of("old-1"), DueItems.running(c, "q", NOW.minusSeconds(60), 1));
    // One range of the index on (queue, status, updated_at): neither the fresh nor the pending rows are read.
    String plan;
    try (PreparedStatement st = c.prepareStatement("EXPLAIN ANALYZE " + DueItems.RUNNING)) {
      st.setString(1, "q");
      st.setObject(2, SqlTime.of(NOW.minusSeconds(60)));
      st.setInt(3, 10);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        plan = rs.getString(1);
      }
    }
    assertTrue(plan.contains("rebound_item_queue_status"), plan);
    Matcher scanned = Pattern.compile("scanCount: (\\d+)").matcher(plan);
    assertTrue(scanned.find(), plan);
    assertTrue(Integer.parseInt(scanned.group(1)) <= 3, plan);
  }
}
