package io.rebound.core.wake;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import io.rebound.core.index.IndexUpdates;
import io.rebound.core.storage.Schema;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The waker's queries of {@code rebound_item}: a queue's due items in the order they should run
 * (priority high to low, then due time), read from a cursor so that a scan never reads a row
 * twice, and RUNNING rows that may have lost their attempt with their node.
 */
final class DueItems {
  static final int MAX_PRIORITY = 9;
  static final int MIN_PRIORITY = 0;

  private DueItems() {}

  /** A place in a queue's due order; {@link #START} is before every row. */
  record Cursor(int priority, Instant wakeAt, String id) {
    static final Cursor START = new Cursor(MAX_PRIORITY + 1, null, null);
  }

  record Row(String id, int priority, Instant wakeAt) {
    Cursor cursor() {
      return new Cursor(priority, wakeAt, id);
    }
  }

  /**
   * Up to {@code limit} rows of the queue due at or before {@code until}, after {@code from},
   * that belong to items out of memory: due more than {@code horizon} after their last change
   * (the item left memory then), or unchanged since {@code settledBefore} (an item in memory
   * would have moved by then: it was deferred, or lost with its node). One range scan of the
   * (queue, priority, wake_at, id) index per priority; the rows of items waiting in memory are
   * passed over, not returned.
   */
  static List<Row> due(Connection c, Schema.Dialect dialect, String queue, Instant until, Duration horizon, Instant settledBefore,
      Cursor from, int limit) throws SQLException {
    String leftMemory = dialect == Schema.Dialect.POSTGRES
        ? "wake_at > updated_at + (? * INTERVAL '1 millisecond')"
        : "wake_at > DATEADD(MILLISECOND, ?, updated_at)";
    List<Row> out = new ArrayList<>();
    int first = Math.min(from.priority(), MAX_PRIORITY);
    for (int p = first; p >= MIN_PRIORITY && out.size() < limit; p--) {
      boolean within = p == from.priority() && from.wakeAt() != null;
      String sql = "SELECT id, wake_at FROM rebound_item WHERE queue = ? AND priority = ? AND wake_at <= ?"
          + " AND (" + leftMemory + " OR updated_at <= ?)"
          + (within ? " AND (wake_at > ? OR (wake_at = ? AND id > ?))" : "")
          + " ORDER BY wake_at, id LIMIT ?";
      try (PreparedStatement st = c.prepareStatement(sql)) {
        int i = 1;
        st.setString(i++, queue);
        st.setInt(i++, p);
        st.setObject(i++, time(until));
        st.setLong(i++, horizon.toMillis());
        st.setObject(i++, time(settledBefore));
        if (within) {
          st.setObject(i++, time(from.wakeAt()));
          st.setObject(i++, time(from.wakeAt()));
          st.setString(i++, from.id());
        }
        st.setInt(i, limit - out.size());
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            out.add(new Row(rs.getString(1), p, rs.getObject(2, OffsetDateTime.class).toInstant()));
          }
        }
      }
    }
    return out;
  }

  /** Ids of up to {@code limit} RUNNING rows last changed before {@code before}, oldest first. */
  static List<String> running(Connection c, Instant before, int limit) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(
        "SELECT id FROM rebound_item WHERE status = 'RUNNING' AND updated_at < ? ORDER BY updated_at LIMIT ?")) {
      st.setObject(1, time(before));
      st.setInt(2, limit);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private static OffsetDateTime time(Instant at) {
    return IndexUpdates.time(at);
  }
}
