package io.rebound.core.index;

import io.rebound.core.storage.IndexDatabase;
import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemStatus;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Queries of the read side, {@code rebound_item}: lists with keyset pagination, counts and stats
 * per queue, dead letters to redrive, stuck items. The table may lag the items by a moment; the
 * items stay the truth ({@code Rebound.status}).
 */
public final class ItemIndex {
  public static final int MAX_LIMIT = 1000;
  private static final String COLUMNS =
      "id, queue, item_key, status, priority, attempts, next_attempt_at, last_error_kind, last_error, created_at, updated_at";

  private final IndexDatabase db;

  public ItemIndex(IndexDatabase db) {
    this.db = db;
  }

  /** The read side's connections, for readers of the index outside this package (the what-if replay). */
  public IndexDatabase database() {
    return db;
  }

  /** One row of the index. */
  public record Row(
      String id,
      String queue,
      String key,
      ItemStatus status,
      int priority,
      int attempts,
      Instant nextAttemptAt,
      ErrorKind lastErrorKind,
      String lastError,
      Instant createdAt,
      Instant updatedAt) {}

  /** A page of rows in creation order; {@code next} is the cursor of the following page, or null. */
  public record Page(List<Row> items, String next) {}

  /**
   * What to list: a queue, optionally one status and one last error kind, at most {@code limit}
   * rows after the cursor {@code after} (null for the first page).
   */
  public record Query(String queue, ItemStatus status, ErrorKind errorKind, int limit, String after) {
    public Query {
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
      }
      if (after != null) {
        Cursor.decode(after);
      }
    }
  }

  /**
   * @param counts items per status (every status, zero included)
   * @param oldestPendingAge age of the oldest item not yet processed (PENDING, WAITING or PARKED), null when none
   * @param averageAttempts attempts per item, over the queue's items
   * @param maxAttempts the most attempts an item of the queue has made since the index was last
   *     counted (its first start of this version, or a rebuild): a purged item is not taken out
   */
  public record QueueStats(
      String queue, Map<ItemStatus, Long> counts, long total, Duration oldestPendingAge, double averageAttempts, int maxAttempts) {}

  /** Which dead letters to redrive: an error kind and a window of when they died, all optional, and at most {@code max}. */
  public record DeadLetterFilter(ErrorKind kind, Instant from, Instant to, int max) {}

  /**
   * Whether an item with this id may exist: a row in the index, else an event in its journal (the
   * index may lag). False means no item has ever had this id, or retention purged it: asking it
   * would start an entity only to answer "not found".
   */
  public CompletionStage<Boolean> mayExist(String id, String persistenceId) {
    return db.run(c -> {
      try (PreparedStatement st = c.prepareStatement("SELECT 1 FROM rebound_item WHERE id = ?")) {
        st.setString(1, id);
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next()) {
            return true;
          }
        }
      }
      try (PreparedStatement st = c.prepareStatement(
          "SELECT 1 FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"deleted\" = false LIMIT 1")) {
        st.setString(1, persistenceId);
        try (ResultSet rs = st.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /** What the index projection put in quarantine (rebound_index_quarantine). */
  public CompletionStage<IndexQuarantine.Summary> quarantine() {
    return db.run(IndexQuarantine::summary);
  }

  public CompletionStage<Page> list(Query q) {
    return db.run(c -> {
      StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM rebound_item WHERE queue = ?");
      List<Object> args = new ArrayList<>(List.of(q.queue()));
      if (q.status() != null) {
        sql.append(" AND status = ?");
        args.add(q.status().name());
      }
      if (q.errorKind() != null) {
        sql.append(" AND last_error_kind = ?");
        args.add(q.errorKind().name());
      }
      if (q.after() != null) {
        Cursor cursor = Cursor.decode(q.after());
        sql.append(" AND (created_at > ? OR (created_at = ? AND id > ?))");
        args.add(cursor.createdAt());
        args.add(cursor.createdAt());
        args.add(cursor.id());
      }
      sql.append(" ORDER BY created_at, id LIMIT ?");
      args.add(q.limit() + 1);
      List<Row> rows = rows(c, sql.toString(), args);
      if (rows.size() <= q.limit()) {
        return new Page(rows, null);
      }
      List<Row> page = rows.subList(0, q.limit());
      Row last = page.get(page.size() - 1);
      return new Page(List.copyOf(page), Cursor.encode(last));
    });
  }

  /**
   * The oldest item not yet processed: the first of each status in the list index (queue, status,
   * created_at), one seek each; {@code status IN (...)} read every such row on H2, a whole backlog.
   */
  static final String OLDEST_OPEN = "SELECT MIN(created_at) FROM ("
      + "(SELECT created_at FROM rebound_item WHERE queue = ? AND status = 'PENDING' ORDER BY created_at LIMIT 1)"
      + " UNION ALL (SELECT created_at FROM rebound_item WHERE queue = ? AND status = 'WAITING' ORDER BY created_at LIMIT 1)"
      + " UNION ALL (SELECT created_at FROM rebound_item WHERE queue = ? AND status = 'PARKED' ORDER BY created_at LIMIT 1)) oldest";

  /** A queue's figures: counts and retry figures from {@link ItemCounts}, and the oldest open item; none counts rows. */
  public CompletionStage<QueueStats> stats(String queue, Instant now) {
    return db.run(c -> {
      Map<ItemStatus, Long> counts = new EnumMap<>(ItemStatus.class);
      for (ItemStatus s : ItemStatus.values()) {
        counts.put(s, 0L);
      }
      long total = 0;
      ItemCounts.QueueFigures figures = ItemCounts.ofQueue(c, queue);
      for (Map.Entry<ItemStatus, Long> e : figures.counts().entrySet()) {
        counts.put(e.getKey(), e.getValue());
        total += e.getValue();
      }
      Duration oldest = null;
      try (PreparedStatement st = c.prepareStatement(OLDEST_OPEN)) {
        for (int i = 1; i <= 3; i++) {
          st.setString(i, queue);
        }
        try (ResultSet rs = st.executeQuery()) {
          OffsetDateTime min = rs.next() ? rs.getObject(1, OffsetDateTime.class) : null;
          if (min != null) {
            oldest = Duration.between(min.toInstant(), now);
            oldest = oldest.isNegative() ? Duration.ZERO : oldest;
          }
        }
      }
      double avg = total > 0 ? (double) figures.attempts() / total : 0;
      return new QueueStats(queue, Map.copyOf(counts), total, oldest, avg, figures.maxAttempts());
    });
  }

  /** Items per queue and status, for every queue with items: a few rows of counts ({@link ItemCounts}), however many items. */
  public CompletionStage<Map<String, Map<ItemStatus, Long>>> depthByQueue() {
    return db.run(ItemCounts::byQueue);
  }

  /** The ids of a queue's dead letters that match, oldest first. */
  public CompletionStage<List<String>> deadLetters(String queue, DeadLetterFilter f) {
    return db.run(c -> {
      StringBuilder sql = new StringBuilder("SELECT id FROM rebound_item WHERE queue = ? AND status = 'DEAD_LETTERED'");
      List<Object> args = new ArrayList<>(List.of(queue));
      if (f.kind() != null) {
        sql.append(" AND last_error_kind = ?");
        args.add(f.kind().name());
      }
      if (f.from() != null) {
        sql.append(" AND updated_at >= ?");
        args.add(IndexUpdates.time(f.from()));
      }
      if (f.to() != null) {
        sql.append(" AND updated_at < ?");
        args.add(IndexUpdates.time(f.to()));
      }
      sql.append(" ORDER BY updated_at, id LIMIT ?");
      args.add(f.max());
      List<String> ids = new ArrayList<>();
      try (PreparedStatement st = prepare(c, sql.toString(), args); ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    });
  }

  /** A queue's items in one status whose {@code column} is before {@code before}, oldest first. */
  CompletionStage<List<Row>> olderThan(String queue, ItemStatus status, String column, Instant before, int limit) {
    return db.run(c -> rows(c, "SELECT " + COLUMNS + " FROM rebound_item WHERE queue = ? AND status = ? AND " + column
        + " < ? ORDER BY " + column + ", id LIMIT ?", List.of(queue, status.name(), IndexUpdates.time(before), limit)));
  }

  /** How many of a queue's items reached each status since {@code since}, by status and last error kind. */
  CompletionStage<Map<ItemStatus, Map<String, Long>>> changedSince(String queue, Instant since) {
    return db.run(c -> {
      Map<ItemStatus, Map<String, Long>> out = new EnumMap<>(ItemStatus.class);
      try (PreparedStatement st = prepare(c,
              "SELECT status, last_error_kind, COUNT(*) FROM rebound_item WHERE queue = ? AND updated_at >= ? GROUP BY status, last_error_kind",
              List.of(queue, IndexUpdates.time(since)));
          ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String kind = rs.getString(2);
          out.computeIfAbsent(ItemStatus.valueOf(rs.getString(1)), s -> new HashMap<>())
              .merge(kind == null ? "" : kind, rs.getLong(3), Long::sum);
        }
      }
      return out;
    });
  }

  static final String DUE_SINCE = "SELECT (SELECT COUNT(*) FROM rebound_item WHERE queue = ? AND status = 'PENDING' AND updated_at < ?"
      + " AND (next_attempt_at IS NULL OR next_attempt_at < ?))"
      + " + (SELECT COUNT(*) FROM rebound_item WHERE queue = ? AND status = 'WAITING' AND next_attempt_at < ?)";

  /**
   * Whether a queue has work that was due before {@code before}: PENDING since then, or WAITING due
   * by then. Two counts, each within one status's range of (queue, status, updated_at): with the
   * statuses OR-ed in one condition H2 read every row of the queue, retained ones included.
   */
  CompletionStage<Long> dueSince(String queue, Instant before) {
    // DUE_SINCE's parameters: queue, before, before, queue, before.
    return db.run(c -> {
      try (PreparedStatement st = prepare(c, DUE_SINCE, List.of(queue, IndexUpdates.time(before), IndexUpdates.time(before), queue, IndexUpdates.time(before)));
          ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static List<Row> rows(Connection c, String sql, List<Object> args) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (PreparedStatement st = prepare(c, sql, args); ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        String kind = rs.getString("last_error_kind");
        out.add(new Row(
            rs.getString("id"),
            rs.getString("queue"),
            rs.getString("item_key"),
            ItemStatus.valueOf(rs.getString("status")),
            rs.getInt("priority"),
            rs.getInt("attempts"),
            instant(rs.getObject("next_attempt_at", OffsetDateTime.class)),
            kind == null ? null : ErrorKind.valueOf(kind),
            rs.getString("last_error"),
            instant(rs.getObject("created_at", OffsetDateTime.class)),
            instant(rs.getObject("updated_at", OffsetDateTime.class))));
      }
    }
    return out;
  }

  private static PreparedStatement prepare(Connection c, String sql, List<Object> args) throws SQLException {
    PreparedStatement st = c.prepareStatement(sql);
    for (int i = 0; i < args.size(); i++) {
      st.setObject(i + 1, args.get(i));
    }
    return st;
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  /** Whether the text is a cursor this index handed out. */
  public static boolean isCursor(String cursor) {
    try {
      Cursor.decode(cursor);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The keyset cursor: the last row's creation time and id, opaque to clients. */
  record Cursor(OffsetDateTime createdAt, String id) {
    static String encode(Row last) {
      Instant at = last.createdAt();
      String raw = at.getEpochSecond() + "." + at.getNano() + "." + last.id();
      return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String cursor) {
      try {
        String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        String[] parts = raw.split("\\.", 3);
        Instant at = Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        return new Cursor(IndexUpdates.time(at), parts[2]);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("after is not a cursor this API returned");
      }
    }
  }
}
