package io.rebound.core.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import io.rebound.core.item.ItemStatus;

/**
 * How many rows of {@code rebound_item} each queue has in each status, kept in {@code
 * rebound_item_count} by whoever moves the rows, in the same transaction: so depth is read from a
 * few rows instead of counting every row an index range holds (with retention keeping a week of
 * succeeded items, a count every few seconds read millions of rows, on every node).
 *
 * <p>Each writer adds its changes to its own rows (a projection: its slice; retention: {@code
 * retention}; a rebuild or the first count: {@code counted}), so writers of different slices never
 * wait for one another; a queue's figure is the sum over writers (one writer's row may be
 * negative). Rows are changed in one order (writer, queue, status), so two writers never wait for
 * each other in a cycle.
 */
final class ItemCounts {
  static final String TABLE = "rebound_item_count";
  /** The writer of the counts made by counting the rows (first start of this version, a rebuild). */
  static final String COUNTED = "counted";
  /** The writer of the retention purge's changes. */
  static final String RETENTION = "retention";

  static final String DDL = "CREATE TABLE IF NOT EXISTS " + TABLE + " ("
      + "slice VARCHAR(64) NOT NULL, queue VARCHAR(255) NOT NULL, status VARCHAR(16) NOT NULL, n BIGINT NOT NULL,"
      + " attempts BIGINT NOT NULL, max_attempts INT NOT NULL, PRIMARY KEY (slice, queue, status))";
  private static final String COUNT_ROWS = "INSERT INTO " + TABLE + " (slice, queue, status, n, attempts, max_attempts)"
      + " SELECT '" + COUNTED + "', queue, status, COUNT(*), SUM(attempts), MAX(attempts) FROM rebound_item GROUP BY queue, status";
  private static final String ADD = "UPDATE " + TABLE + " SET n = n + ?, attempts = attempts + ?, max_attempts = GREATEST(max_attempts, ?)"
      + " WHERE slice = ? AND queue = ? AND status = ?";
  private static final String INSERT = "INSERT INTO " + TABLE + " (slice, queue, status, n, attempts, max_attempts) VALUES (?, ?, ?, ?, ?, ?)";

  /** A queue and a status, in the order rows are changed. */
  record Key(String queue, String status) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int q = queue.compareTo(o.queue);
      return q != 0 ? q : status.compareTo(o.status);
    }
  }

  /** What an item's row says that is counted: its queue and status, and its attempts. */
  record Row(Key key, int attempts) {}

  /** The changes to one writer's row: items, their attempts, and the most attempts of one. */
  private static final class Delta {
    long n;
    long attempts;
    int max;
  }

  private final TreeMap<Key, Delta> deltas = new TreeMap<>();

  /** A row moved from {@code from} (null: it is new) to {@code to} (null: it is gone). */
  void moved(Row from, Row to) {
    if (from != null && from.equals(to)) {
      return;
    }
    if (from != null) {
      Delta d = deltas.computeIfAbsent(from.key(), k -> new Delta());
      d.n--;
      d.attempts -= from.attempts();
    }
    if (to != null) {
      Delta d = deltas.computeIfAbsent(to.key(), k -> new Delta());
      d.n++;
      d.attempts += to.attempts();
      d.max = Math.max(d.max, to.attempts());
    }
  }

  /** Forgets the moves not written. */
  void clear() {
    deltas.clear();
  }

  /** Adds the changes to {@code writer}'s rows, in the caller's transaction, and forgets them. */
  void write(Connection c, String writer) throws SQLException {
    for (Map.Entry<Key, Delta> e : deltas.entrySet()) {
      Delta d = e.getValue();
      if (d.n != 0 || d.attempts != 0 || d.max != 0) {
        add(c, writer, e.getKey(), d);
      }
    }
    deltas.clear();
  }

  private static void add(Connection c, String writer, Key key, Delta delta) throws SQLException {
    if (update(c, writer, key, delta) > 0) {
      return;
    }
    // The writer's first change of this queue and status. Another transaction may insert the
    // same row meanwhile (two nodes' retention runs): then the row is there, and is added to.
    Savepoint sp = c.getAutoCommit() ? null : c.setSavepoint();
    try (PreparedStatement st = c.prepareStatement(INSERT)) {
      st.setString(1, writer);
      st.setString(2, key.queue());
      st.setString(3, key.status());
      st.setLong(4, delta.n);
      st.setLong(5, delta.attempts);
      st.setInt(6, delta.max);
      st.executeUpdate();
      if (sp != null) {
        c.releaseSavepoint(sp);
      }
    } catch (SQLException e) {
      if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
        throw e;
      }
      if (sp != null) {
        c.rollback(sp);
      }
      if (update(c, writer, key, delta) == 0) {
        throw e;
      }
    }
  }

  private static int update(Connection c, String writer, Key key, Delta delta) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(ADD)) {
      st.setLong(1, delta.n);
      st.setLong(2, delta.attempts);
      st.setInt(3, delta.max);
      st.setString(4, writer);
      st.setString(5, key.queue());
      st.setString(6, key.status());
      return st.executeUpdate();
    }
  }

  /**
   * Creates the table and, while it has no rows, counts the rows of {@code rebound_item} (the
   * first start of this version on an index an older one kept). Rows written since by this
   * version come with their counts, so an empty table beside rows means nothing counted them.
   * Nodes starting together count once: on PostgreSQL the check and the count hold a lock that
   * keeps other counters (and the projections' count updates) waiting; an H2 file has one node.
   * Moves a node of an older version makes meanwhile are not counted (see OPERATIONS.md).
   */
  static void ensure(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(DDL);
    }
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      if (c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres")) {
        st.execute("LOCK TABLE " + TABLE + " IN SHARE ROW EXCLUSIVE MODE");
      }
      boolean counted;
      try (ResultSet rs = st.executeQuery("SELECT 1 FROM " + TABLE + " LIMIT 1")) {
        counted = rs.next();
      }
      if (!counted) {
        st.executeUpdate(COUNT_ROWS);
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  /** Replaces every count with a count of the rows, in the caller's transaction (a rebuild's swap). */
  static void recount(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM " + TABLE);
      st.executeUpdate(COUNT_ROWS);
    }
  }

  /** Items per queue and status (statuses with none left out), for every queue with items. */
  static Map<String, Map<ItemStatus, Long>> byQueue(Connection c) throws SQLException {
    Map<String, Map<ItemStatus, Long>> out = new HashMap<>();
    try (PreparedStatement st = c.prepareStatement("SELECT queue, status, SUM(n) FROM " + TABLE + " GROUP BY queue, status");
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        long n = rs.getLong(3);
        if (n != 0) {
          out.computeIfAbsent(rs.getString(1), q -> new EnumMap<>(ItemStatus.class)).put(ItemStatus.valueOf(rs.getString(2)), n);
        }
      }
    }
    return out;
  }

  /**
   * One queue's figures: items per status (statuses with none left out), all their attempts, and
   * the most attempts one of them took (counted items only grow it: a purge leaves it).
   */
  record QueueFigures(Map<ItemStatus, Long> counts, long attempts, int maxAttempts) {}

  static QueueFigures ofQueue(Connection c, String queue) throws SQLException {
    Map<ItemStatus, Long> counts = new EnumMap<>(ItemStatus.class);
    long attempts = 0;
    int max = 0;
    try (PreparedStatement st = c.prepareStatement(
        "SELECT status, SUM(n), SUM(attempts), MAX(max_attempts) FROM " + TABLE + " WHERE queue = ? GROUP BY status")) {
      st.setString(1, queue);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          long n = rs.getLong(2);
          if (n != 0) {
            counts.put(ItemStatus.valueOf(rs.getString(1)), n);
          }
          attempts += rs.getLong(3);
          max = Math.max(max, rs.getInt(4));
        }
      }
    }
    return new QueueFigures(counts, attempts, max);
  }
}
