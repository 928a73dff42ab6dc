package io.rebound.core.wake;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import io.rebound.core.storage.SqlTime;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The waker's queries of {@code rebound_item}: a queue's rows to wake in the order they should
 * run (priority high to low, then {@code wake_after}: the due time of an item out of memory),
 * read from a cursor so that a scan never reads a row twice, and RUNNING rows that may have lost
 * their attempt with their node.
 */
final class DueItems {
  static final int MAX_PRIORITY = 9;
  static final int MIN_PRIORITY = 0;

  private DueItems() {}

  /** A place in a queue's due order; {@link #START} is before every row. */
  record Cursor(int priority, Instant wakeAfter, String id) {
    static final Cursor START = new Cursor(MAX_PRIORITY + 1, null, null);
  }

  record Row(String id, int priority, Instant wakeAfter) {
    Cursor cursor() {
      return new Cursor(priority, wakeAfter, id);
    }
  }

  /**
   * Up to {@code limit} rows of the queue for the waker to take up by {@code until} (now +
   * horizon), after {@code from}: rows whose {@code wake_after} ({@link WakeRule}) is reached, so
   * items due that left memory and rows of items that should be in memory but sat unchanged for
   * settle (deferred, or lost with their node). With {@code everything} (the waker just started,
   * or a member left: nothing is known to be in memory) every row due by {@code until}, of which
   * {@code wake_after} is at most {@code settle} later. One range scan of the (queue, priority,
   * wake_after, id) index per priority: the rows of items waiting in memory lie beyond the range
   * and are not read.
   */
  static List<Row> due(Connection c, String queue, Instant until, boolean everything, Duration settle, Cursor from, int limit)
      throws SQLException {
    List<Row> out = new ArrayList<>();
    int first = Math.min(from.priority(), MAX_PRIORITY);
    for (int p = first; p >= MIN_PRIORITY && out.size() < limit; p--) {
      boolean within = p == from.priority() && from.wakeAfter() != null;
      try (PreparedStatement st = c.prepareStatement(sql(everything, within))) {
        bind(st, queue, p, until, everything, settle, within ? from : null, limit - out.size());
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            out.add(new Row(rs.getString(1), p, rs.getObject(2, OffsetDateTime.class).toInstant()));
          }
        }
      }
    }
    return out;
  }

  /** The scan of one priority; {@code within}: it goes on after a cursor in that priority. */
  static String sql(boolean everything, boolean within) {
    // The lower bound starts the scan past the rows without a wake_after (finished items), which
    // H2 keeps first in the index.
    return "SELECT id, wake_after FROM rebound_item WHERE queue = ? AND priority = ? AND wake_after >= ? AND wake_after <= ?"
        // wake_at: a finished row an older version's projection wrote keeps its wake_after
        + (everything ? " AND wake_at <= ?" : " AND wake_at IS NOT NULL")
        + (within ? " AND (wake_after > ? OR (wake_after = ? AND id > ?))" : "")
        + " ORDER BY wake_after, id LIMIT ?";
  }

  /** Binds {@link #sql}'s parameters; {@code from} is the cursor when within, else null. */
  static void bind(PreparedStatement st, String queue, int priority, Instant until, boolean everything, Duration settle, Cursor from,
      int limit) throws SQLException {
    int i = 1;
    st.setString(i++, queue);
    st.setInt(i++, priority);
    st.setObject(i++, SqlTime.of(from != null ? from.wakeAfter() : Instant.EPOCH));
    st.setObject(i++, SqlTime.of(everything ? until.plus(settle) : until));
    if (everything) {
      st.setObject(i++, SqlTime.of(until));
    }
    if (from != null) {
      st.setObject(i++, SqlTime.of(from.wakeAfter()));
      st.setObject(i++, SqlTime.of(from.wakeAfter()));
      st.setString(i++, from.id());
    }
    st.setInt(i, limit);
  }

  /**
   * Gives rows without a {@code wake_after} (written by an older version's projection during a
   * rolling upgrade) their due time, so that the scan finds them. One range of the wake index per
   * priority, but that range holds every row without a {@code wake_after}, RUNNING and terminal
   * ones included: a sweep reads every such row of the queue (see BENCHMARKS, sixth round).
   */
  static int backfill(Connection c, String queue) throws SQLException {
    int rows = 0;
    try (PreparedStatement st = c.prepareStatement(
        "UPDATE rebound_item SET wake_after = wake_at WHERE queue = ? AND priority = ? AND wake_after IS NULL AND wake_at IS NOT NULL")) {
      for (int p = MAX_PRIORITY; p >= MIN_PRIORITY; p--) {
        st.setString(1, queue);
        st.setInt(2, p);
        rows += st.executeUpdate();
      }
    }
    return rows;
  }

  /**
   * Ids of up to {@code limit} RUNNING rows of the queue last changed before {@code before},
   * oldest first: one range of the index on (queue, status, updated_at).
   */
  static List<String> running(Connection c, String queue, Instant before, int limit) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(RUNNING)) {
      st.setString(1, queue);
      st.setObject(2, SqlTime.of(before));
      st.setInt(3, limit);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  static final String RUNNING =
      "SELECT id FROM rebound_item WHERE queue = ? AND status = 'RUNNING' AND updated_at < ? ORDER BY updated_at LIMIT ?";
}
