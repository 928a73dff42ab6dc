package io.rebound.core.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Creates the {@code rebound_item} table and its indexes; safe on every start (H2 and PostgreSQL). */
public final class IndexSchema {
  private IndexSchema() {}

  static final String[] DDL = {
    """
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
    )""",
    // Counts, retention, stuck items and alerts: by queue and status, oldest change first.
    "CREATE INDEX IF NOT EXISTS rebound_item_queue_status ON rebound_item (queue, status, updated_at)",
    // Listing a queue by status, and all of it, in creation order (keyset pagination).
    "CREATE INDEX IF NOT EXISTS rebound_item_list ON rebound_item (queue, status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS rebound_item_queue_created ON rebound_item (queue, created_at, id)",
    // What changed in a queue lately, whatever the status (alerts).
    "CREATE INDEX IF NOT EXISTS rebound_item_queue_updated ON rebound_item (queue, updated_at)",
  };

  /**
   * When a PENDING, WAITING or PARKED item is due (null otherwise): the waker reads the due items
   * of a queue by priority, then due time. Added after the first release, so older tables get it
   * with their open items filled in.
   */
  static final String[] WAKE_DDL = {
    "ALTER TABLE rebound_item ADD COLUMN IF NOT EXISTS wake_at TIMESTAMP WITH TIME ZONE",
    // RUNNING items to check for attempts lost with their node are found per queue through
    // rebound_item_queue_status now: one index fewer to move on every status change.
    "DROP INDEX IF EXISTS rebound_item_status_updated",
  };

  /**
   * The items parked on each tool, in release order: what MissingMetadata releases when its tool
   * is back. One row per tool an item waits for; its item's index row says the rest.
   */
  static final String[] PARKED_DDL = {
    """
    CREATE TABLE IF NOT EXISTS rebound_parked (
      tool VARCHAR(255) NOT NULL,
      id VARCHAR(64) NOT NULL,
      priority INT NOT NULL,
      parked_at TIMESTAMP WITH TIME ZONE NOT NULL,
      PRIMARY KEY (tool, id)
    )""",
    "CREATE INDEX IF NOT EXISTS rebound_parked_order ON rebound_parked (tool, priority, parked_at, id)",
    "CREATE INDEX IF NOT EXISTS rebound_parked_item ON rebound_parked (id)",
  };

  /**
   * Versions and the quarantine, added later: each row carries the sequence number of the last
   * event applied to it (null for rows written before), so that a late older event never moves it
   * backwards; events the database refused to store are recorded rather than retried forever.
   */
  static final String[] QUARANTINE_DDL = {
    "ALTER TABLE rebound_item ADD COLUMN IF NOT EXISTS seq_nr BIGINT",
    """
    CREATE TABLE IF NOT EXISTS rebound_index_quarantine (
      persistence_id VARCHAR(1024) NOT NULL,
      seq_nr BIGINT NOT NULL,
      event_class VARCHAR(255) NOT NULL,
      error VARCHAR(1000) NOT NULL,
      quarantined_at TIMESTAMP WITH TIME ZONE NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS rebound_index_quarantine_pid ON rebound_index_quarantine (persistence_id, seq_nr)",
  };

  /**
   * When the waker takes the row up (see {@code wake.WakeRule}): its scan is one range of this
   * index, which rows of items waiting in memory lie beyond. It replaces the index on wake_at,
   * whose scan passed over every such row on each poll. Rows that had a due time get it.
   */
  static final String[] WAKE_AFTER_DDL = {
    "ALTER TABLE rebound_item ADD COLUMN IF NOT EXISTS wake_after TIMESTAMP WITH TIME ZONE",
    "CREATE INDEX IF NOT EXISTS rebound_item_wake_after ON rebound_item (queue, priority, wake_after, id)",
    "DROP INDEX IF EXISTS rebound_item_wake",
  };

  static final String WAKE_AFTER_BACKFILL = "UPDATE rebound_item SET wake_after = wake_at WHERE wake_at IS NOT NULL";

  static final String WAKE_BACKFILL = "UPDATE rebound_item SET wake_at = COALESCE(next_attempt_at, updated_at)"
      + " WHERE status IN ('PENDING', 'WAITING', 'PARKED')";

  /**
   * Creates what is missing.
   *
   * @param queueTools each queue's tools: a parked table created now is filled from the index's
   *     PARKED rows (items parked by an older version, which kept them in MissingMetadata's journal)
   */
  public static void ensure(Connection c, Map<String, List<String>> queueTools) throws SQLException {
    boolean hadParked = hasTable(c, "rebound_parked");
    try (Statement st = c.createStatement()) {
      for (String sql : PARKED_DDL) {
        st.execute(sql);
      }
    }
    ensure(c);
    if (!hadParked) {
      for (Map.Entry<String, List<String>> q : queueTools.entrySet()) {
        for (String tool : q.getValue()) {
          try (PreparedStatement st = c.prepareStatement("INSERT INTO rebound_parked (tool, id, priority, parked_at)"
              + " SELECT ?, id, priority, updated_at FROM rebound_item WHERE queue = ? AND status = 'PARKED'")) {
            st.setString(1, tool);
            st.setString(2, q.getKey());
            st.executeUpdate();
          }
        }
      }
    }
  }

  private static boolean hasTable(Connection c, String table) throws SQLException {
    try (ResultSet rs = c.getMetaData().getTables(null, null, table, null)) {
      return rs.next();
    }
  }

  public static void ensure(Connection c) throws SQLException {
    boolean hadWakeAt = hasColumn(c, "rebound_item", "wake_at");
    boolean hadWakeAfter = hasColumn(c, "rebound_item", "wake_after");
    try (Statement st = c.createStatement()) {
      for (String sql : DDL) {
        st.execute(sql);
      }
      for (String sql : WAKE_DDL) {
        st.execute(sql);
      }
      for (String sql : QUARANTINE_DDL) {
        st.execute(sql);
      }
      if (!hadWakeAt) {
        st.executeUpdate(WAKE_BACKFILL);
      }
      for (String sql : WAKE_AFTER_DDL) {
        st.execute(sql);
      }
      if (!hadWakeAfter) {
        st.executeUpdate(WAKE_AFTER_BACKFILL);
      }
    }
    ItemCounts.ensure(c);
  }

  private static boolean hasColumn(Connection c, String table, String column) throws SQLException {
    // H2 (DATABASE_TO_UPPER=false) and PostgreSQL both keep these names in lower case.
    try (ResultSet rs = c.getMetaData().getColumns(null, null, table, column)) {
      return rs.next();
    }
  }
}
