package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rebound.core.item.ItemEntity;
import io.rebound.core.wake.WakeRule;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each row carries when the waker should take it up, from the event that changed it last. */
class IndexWakeAfterTest {
  private static final WakeRule RULE = new WakeRule(Duration.ofSeconds(10), Duration.ofSeconds(30));
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private Connection c;

  @BeforeEach
  void schema() throws SQLException {
    c = DriverManager.getConnection("jdbc:h2:mem:wake-after-" + System.nanoTime() + ";DATABASE_TO_UPPER=false");
    IndexSchema.ensure(c, Map.of());
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  private void write(long seqNr, ItemEntity.Event event) throws SQLException {
    IndexUpdates updates = new IndexUpdates(false, RULE);
    updates.add("a", seqNr, event);
    updates.write(c);
  }

  private Instant wakeAfter() throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT wake_after FROM rebound_item WHERE id = 'a'")) {
      rs.next();
      OffsetDateTime at = rs.getObject(1, OffsetDateTime.class);
      return at == null ? null : at.toInstant();
    }
  }

  private static ItemEntity.Enqueued enqueued(Instant notBefore) {
    return new ItemEntity.Enqueued("a", "q", null, "{}", 5, T, notBefore, null);
  }

  @Test
  void anItemDueNowIsLeftToMemoryUntilItsRowSatUnchangedForSettle() throws SQLException {
    write(1, enqueued(null));
    assertEquals(T.plusSeconds(40), wakeAfter());
  }

  @Test
  void aDelayBeyondTheHorizonIsTakenUpAtItsDueTime() throws SQLException {
    write(1, enqueued(T.plusSeconds(3600)));
    assertEquals(T.plusSeconds(3600), wakeAfter());
  }

  @Test
  void aBackoffBeyondTheHorizonMovesItAndTheEndClearsIt() throws SQLException {
    write(1, enqueued(null));
    write(2, new ItemEntity.AttemptStarted(1, 1, T.plusSeconds(1)));
    assertNull(wakeAfter());
    write(3, new ItemEntity.AttemptFailed(1, 1, io.rebound.api.ErrorKind.TRANSIENT, "no", null, T.plusSeconds(2), T.plusSeconds(300)));
    assertEquals(T.plusSeconds(300), wakeAfter());
    write(4, new ItemEntity.AttemptStarted(2, 2, T.plusSeconds(300)));
    write(5, new ItemEntity.Succeeded(2, 2, T.plusSeconds(301)));
    assertNull(wakeAfter());
  }

  @Test
  void aTableFromBeforeWakeAfterGetsTheColumnItsDueTimesAndLosesTheIndexesNoLongerRead() throws SQLException {
    try (Connection old = DriverManager.getConnection("jdbc:h2:mem:before-wake-after-" + System.nanoTime() + ";DATABASE_TO_UPPER=false");
        Statement st = old.createStatement()) {
      // The table as the version before made it: wake_at with its index, no wake_after.
      st.execute(IndexSchema.DDL[0]);
      st.execute(IndexSchema.WAKE_DDL[0]);
      st.execute("CREATE INDEX rebound_item_wake ON rebound_item (queue, priority, wake_at, id)");
      st.execute("CREATE INDEX rebound_item_status_updated ON rebound_item (status, updated_at)");
      st.execute("INSERT INTO rebound_item (id, queue, status, priority, attempts, created_at, updated_at, wake_at)"
          + " VALUES ('a', 'q', 'WAITING', 5, 1, TIMESTAMP WITH TIME ZONE '2026-01-01 00:00:00Z',"
          + " TIMESTAMP WITH TIME ZONE '2026-01-01 00:00:00Z', TIMESTAMP WITH TIME ZONE '2026-01-01 01:00:00Z')");

      IndexSchema.ensure(old, Map.of());

      try (ResultSet rs = st.executeQuery("SELECT wake_after FROM rebound_item WHERE id = 'a'")) {
        rs.next();
        assertEquals(Instant.parse("2026-01-01T01:00:00Z"), rs.getObject(1, OffsetDateTime.class).toInstant());
      }
      try (ResultSet rs = old.getMetaData().getIndexInfo(null, null, "rebound_item", false, false)) {
        java.util.Set<String> indexes = new java.util.HashSet<>();
        while (rs.next()) {
          indexes.add(rs.getString("INDEX_NAME"));
        }
        assertEquals(true, indexes.contains("rebound_item_wake_after"), indexes.toString());
        assertEquals(false, indexes.contains("rebound_item_wake"), indexes.toString());
        // The sweep for lost attempts reads rebound_item_queue_status per queue instead.
        assertEquals(false, indexes.contains("rebound_item_status_updated"), indexes.toString());
        assertEquals(true, indexes.contains("rebound_item_queue_status"), indexes.toString());
      }
    }
  }
}
