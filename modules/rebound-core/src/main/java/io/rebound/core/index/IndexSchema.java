package io.rebound.core.index;

import java.sql.Connection;
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

  public static void ensure(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      for (String sql : DDL) {
        st.execute(sql);
      }
    }
  }
}
