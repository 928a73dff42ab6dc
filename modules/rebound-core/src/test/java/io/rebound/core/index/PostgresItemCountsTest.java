package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rebound.core.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The depth counts, and the queries that replaced counting rows, on PostgreSQL (skipped where none answers). */
class PostgresItemCountsTest extends ItemCountsTest {
  private PostgresTestDatabase db;

  @Override
  String newDatabase() {
    db = PostgresTestDatabase.create();
    return db.url();
  }

  @Override
  Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url, PostgresTestDatabase.USER, "");
  }

  /** PostgreSQL makes the second insert wait on the first one's transaction: a session waiting for a lock. */
  @Override
  void awaitInsertWaiting(Thread other, Connection watch) {
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(8)).until(() -> {
      try (Statement st = watch.createStatement(); ResultSet rs = st.executeQuery(
          "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")) {
        return rs.next() && rs.getInt(1) > 0;
      }
    });
  }

  @AfterEach
  @Override
  void close() throws Exception {
    super.close();
    db.close();
  }

  @Test
  void theOldestOpenItemAndTheWorkDueSinceAreReadOnPostgresql() throws SQLException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO rebound_item (id, queue, status, priority, attempts, next_attempt_at, created_at, updated_at) VALUES"
          + " ('s', 'q', 'SUCCEEDED', 0, 1, NULL, TIMESTAMPTZ '2026-01-01 00:00:00Z', TIMESTAMPTZ '2026-01-01 00:00:00Z'),"
          + " ('p', 'q', 'PENDING', 0, 0, NULL, TIMESTAMPTZ '2026-01-02 00:00:00Z', TIMESTAMPTZ '2026-01-02 00:00:00Z'),"
          + " ('w', 'q', 'WAITING', 0, 1, TIMESTAMPTZ '2026-01-04 00:00:00Z', TIMESTAMPTZ '2026-01-01 12:00:00Z', TIMESTAMPTZ '2026-01-03 00:00:00Z')");
    }
    try (PreparedStatement st = c.prepareStatement(ItemIndex.OLDEST_OPEN)) {
      for (int i = 1; i <= 3; i++) {
        st.setString(i, "q");
      }
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        assertEquals(Instant.parse("2026-01-01T12:00:00Z"), rs.getObject(1, java.time.OffsetDateTime.class).toInstant());
      }
    }
    Object before = IndexUpdates.time(Instant.parse("2026-01-05T00:00:00Z"));
    try (PreparedStatement st = c.prepareStatement(ItemIndex.DUE_SINCE)) {
      st.setString(1, "q");
      st.setObject(2, before);
      st.setObject(3, before);
      st.setString(4, "q");
      st.setObject(5, before);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        assertEquals(2, rs.getLong(1));
      }
    }
  }
}
