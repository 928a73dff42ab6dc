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
 * Direct access to a test node's database for the retention tests: it backdates the rows the
 * projection keeps, adds the rows a purge must remove that items do not write themselves (a
 * snapshot, an extra tag), and counts what is left.
 */
final class RetentionTestDb {
  private final String url;

  RetentionTestDb(String url) {
    this.url = url;
  }

  private Connection open() throws SQLException {
    return DriverManager.getConnection(url, "sa", "");
  }

  /**
   * Waits until the projection's row for the item has caught up with {@code item} (the view the
   * test read last), then sets its status and update time as if the item had reached {@code
   * status} at {@code updatedAt}, or as if the projection still lagged behind a later change.
   */
  void indexRow(ItemView item, ItemStatus status, Instant updatedAt) throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    try (Connection c = open()) {
      while (!caughtUp(c, item)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the index never caught up with " + item);
        }
        Thread.sleep(50);
      }
      try (PreparedStatement st = c.prepareStatement("UPDATE rebound_item SET status = ?, updated_at = ? WHERE id = ?")) {
        st.setString(1, status.name());
        st.setObject(2, utc(updatedAt));
        st.setString(3, item.id());
        st.executeUpdate();
      }
    }
  }

  private static boolean caughtUp(Connection c, ItemView item) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT status, updated_at FROM rebound_item WHERE id = ?")) {
      st.setString(1, item.id());
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getString(1).equals(item.status().name())
            && !rs.getObject(2, OffsetDateTime.class).toInstant().isBefore(item.updatedAt().truncatedTo(java.time.temporal.ChronoUnit.MICROS));
      }
    }
  }

  /**
   * Gives every journal event of the item a second tag and the item a snapshot. Items never
   * snapshot, and carry one tag of their own, yet the purge must remove whatever there is.
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

  /** Whether the tag table still has the shipped schema's foreign key (with its ON DELETE CASCADE) to the journal. */
  boolean tagsCascade() throws SQLException {
    try (Connection c = open(); Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS"
            + " WHERE TABLE_NAME = 'event_tag' AND CONSTRAINT_TYPE = 'FOREIGN KEY'")) {
      rs.next();
      return rs.getLong(1) > 0;
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
          // Live events: a purge leaves one row marked deleted, its fence.
          count(c, "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"deleted\" = false", pid),
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

  /** The index's rows counted per queue and status: what the depth counts must say. */
  java.util.Map<String, java.util.Map<ItemStatus, Long>> rowsCounted() throws SQLException {
    java.util.Map<String, java.util.Map<ItemStatus, Long>> out = new java.util.HashMap<>();
    try (Connection c = open(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT queue, status, COUNT(*) FROM rebound_item GROUP BY queue, status")) {
      while (rs.next()) {
        out.computeIfAbsent(rs.getString(1), q -> new java.util.EnumMap<>(ItemStatus.class))
            .put(ItemStatus.valueOf(rs.getString(2)), rs.getLong(3));
      }
    }
    return out;
  }

  private static OffsetDateTime utc(Instant at) {
    return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
  }
}
