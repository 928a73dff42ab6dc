package io.rebound.core.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** The relay's SQL over {@code rebound_outbox}. */
final class OutboxRows {
  private OutboxRows() {}

  static final int MAX_ERROR = 1_000;

  /**
   * The oldest committed rows that can be relayed, by id. Rows are deleted once relayed, so no
   * cursor is kept: a transaction that took a lower id but committed later is still found.
   */
  static List<OutboxRow> next(Connection c, int limit) throws SQLException {
    List<OutboxRow> rows = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(
        "SELECT id, queue, payload, item_key, priority, delay_ms, max_attempts, item_group, traceparent, created_at"
            + " FROM rebound_outbox WHERE error IS NULL ORDER BY id LIMIT ?")) {
      st.setInt(1, limit);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          int maxAttempts = rs.getInt(7);
          Integer max = rs.wasNull() ? null : maxAttempts;
          OffsetDateTime created = rs.getObject(10, OffsetDateTime.class);
          rows.add(new OutboxRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5), rs.getLong(6),
              max, rs.getString(8), rs.getString(9), created.toInstant()));
        }
      }
    }
    return rows;
  }

  /** Deletes relayed rows in one transaction. */
  static void delete(Connection c, Collection<Long> ids) throws SQLException {
    if (ids.isEmpty()) {
      return;
    }
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (PreparedStatement st = c.prepareStatement("DELETE FROM rebound_outbox WHERE id = ?")) {
      for (long id : ids) {
        st.setLong(1, id);
        st.addBatch();
      }
      st.executeBatch();
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /** Marks a row that can never become an item: it stays, with its error, out of the relay's way. */
  static void markBad(Connection c, long id, String error) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("UPDATE rebound_outbox SET error = ? WHERE id = ?")) {
      st.setString(1, error.length() > MAX_ERROR ? error.substring(0, MAX_ERROR - 1) + "…" : error);
      st.setLong(2, id);
      st.executeUpdate();
    }
  }
}
