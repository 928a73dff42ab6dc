package io.rebound.core.index;

import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Direct access to a test node's database for the retention tests. It also stands in for the
 * read side until the projection lands on this branch: {@link #createIndexTable()} is the
 * projection's DDL, verbatim, and {@link #indexRow} writes the row the projection would write.
 * Drop those two (and the tag rows) once the projection maintains {@code rebound_item} itself.
 */
final class RetentionTestDb {
  static final String INDEX_DDL = """
      CREATE TABLE IF NOT EXISTS rebound_item (
        id VARCHAR(64) NOT NULL PRIMARY KEY,
        queue VARCHAR(255) NOT NULL,
        item_key VARCHAR(1024),
        status VARCHAR(16) NOT NULL,
        priority INT NOT NULL,
        attempts INT NOT NULL,
        next_attempt_at TIMESTAMP WITH TIME ZONE,
        last_error_kind VARCHAR(32),
        last_error VARCHAR(1000),
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL
      );
      CREATE INDEX IF NOT EXISTS rebound_item_queue_status ON rebound_item (queue, status, updated_at)
      """;

  private final String url;

  RetentionTestDb(String url) {
    this.url = url;
  }

  private Connection open() throws SQLException {
    return DriverManager.getConnection(url, "sa", "");
  }

  void createIndexTable() throws SQLException {
    try (Connection c = open(); Statement st = c.createStatement()) {
      for (String sql : INDEX_DDL.split(";")) {
        st.execute(sql);
      }
    }
  }

  /** The row the projection keeps for an item, as if it reached {@code status} at {@code updatedAt}. */
  void indexRow(ItemView item, ItemStatus status, Instant updatedAt) throws SQLException {
    try (Connection c = open(); PreparedStatement st = c.prepareStatement(
        "INSERT INTO rebound_item (id, queue, item_key, status, priority, attempts, next_attempt_at, last_error_kind,"
            + " last_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      st.setString(1, item.id());
      st.setString(2, item.queue());
      st.setString(3, item.key());
      st.setString(4, status.name());
      st.setInt(5, item.priority());
      st.setInt(6, item.attempts());
      st.setObject(7, item.nextAttemptAt() == null ? null : utc(item.nextAttemptAt()));
      st.setString(8, item.lastError() == null ? null : item.lastError().kind().name());
      st.setString(9, item.lastError() == null ? null : item.lastError().message());
      st.setObject(10, utc(updatedAt.minusSeconds(60)));
      st.setObject(11, utc(updatedAt));
      st.executeUpdate();
    }
  }

  /**
   * Tags every journal event of the item and gives it a snapshot. Items do neither yet (the
   * projection's tagging is coming, items never snapshot), yet the purge must remove both.
   */
  void tagAndSnapshot(String id) throws SQLException {
    String pid = ItemEntity.persistenceId(id).id();
    try (Connection c = open();
        PreparedStatement tag = c.prepareStatement(
            "INSERT INTO \"event_tag\" (\"event_id\", \"tag\") SELECT \"ordering\", 'item' FROM \"event_journal\" WHERE \"persistence_id\" = ?");
        PreparedStatement snap = c.prepareStatement(
            "INSERT INTO \"snapshot\" (\"persistence_id\", \"sequence_number\", \"created\", \"snapshot_ser_id\","
                + " \"snapshot_ser_manifest\", \"snapshot_payload\") VALUES (?, 1, 0, 1, '', ?)")) {
      tag.setString(1, pid);
      tag.executeUpdate();
      snap.setString(1, pid);
      snap.setBytes(2, new byte[] {1});
      snap.executeUpdate();
    }
  }

  /** Drops the journal's ON DELETE CASCADE to its tags, as a schema made by other means might lack it. */
  void dropTagCascade() throws SQLException {
    try (Connection c = open(); Statement st = c.createStatement()) {
      st.execute("ALTER TABLE \"event_tag\" DROP CONSTRAINT \"fk_event_journal\"");
    }
  }

  /** What the database holds for one item (tags: those of its events; see {@link #orphanTags()}). */
  record Rows(int events, int tags, int snapshots, boolean indexRow) {
    boolean none() {
      return events == 0 && tags == 0 && snapshots == 0 && !indexRow;
    }
  }

  Rows rows(String id) throws SQLException {
    String pid = ItemEntity.persistenceId(id).id();
    try (Connection c = open()) {
      return new Rows(
          count(c, "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", pid),
          count(c, "SELECT COUNT(*) FROM \"event_tag\" WHERE \"event_id\" IN"
              + " (SELECT \"ordering\" FROM \"event_journal\" WHERE \"persistence_id\" = ?)", pid),
          count(c, "SELECT COUNT(*) FROM \"snapshot\" WHERE \"persistence_id\" = ?", pid),
          count(c, "SELECT COUNT(*) FROM rebound_item WHERE id = ?", id) == 1);
    }
  }

  /** Tag rows whose event is gone: the purge must leave none, cascade or not. */
  int orphanTags() throws SQLException {
    try (Connection c = open()) {
      return count(c, "SELECT COUNT(*) FROM \"event_tag\" WHERE \"event_id\" NOT IN (SELECT \"ordering\" FROM \"event_journal\")");
    }
  }

  private static int count(Connection c, String sql, String param) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, param);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static int count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static OffsetDateTime utc(Instant at) {
    return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
  }
}
