package io.rebound.core.index;

import io.rebound.core.storage.SqlTime;
import io.rebound.core.crypto.Encryption;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemEvents;
import io.rebound.core.wake.WakeRule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a batch of item events into writes of {@code rebound_item}. The events of one item are
 * folded first, so an item that was enqueued, ran and succeeded within one batch costs one write.
 * Each event sets only the columns it changes, so the fold is a plain map merge in event order.
 */
public final class IndexUpdates {
  private static final Logger LOG = LoggerFactory.getLogger(IndexUpdates.class);
  static final int MAX_ERROR = 1000;
  static final List<String> ALL_COLUMNS = List.of(
      "queue", "item_key", "status", "priority", "attempts", "next_attempt_at", "last_error_kind", "last_error",
      "created_at", "updated_at", "wake_at", "wake_after", "seq_nr");

  /** The pending change of one row: the columns set so far, and whether it is a whole new row. */
  private static final class Change {
    final Map<String, Object> columns = new LinkedHashMap<>();
    boolean whole;
    /** The item's rows in rebound_parked are replaced by these tools' (none: deleted); null: untouched. */
    List<String> parkedOn;
    Instant parkedAt;
    /** The sequence number of the last event folded in (0: none yet). */
    long seqNr;
    /** The events folded in, for the quarantine: "seqNr class". */
    final List<Folded> events = new ArrayList<>();
  }

  /** One event folded into a change. */
  record Folded(long seqNr, String eventClass) {}

  /**
   * The events of one item the database refused to store (a data or constraint error): they are
   * quarantined, the rest of the group is written.
   */
  record Refused(String id, List<Folded> events, String error) {}

  private final Map<String, Change> changes = new LinkedHashMap<>();
  private final boolean redactErrors;
  /** Decides each row's wake_after from its due time and change. */
  private final WakeRule wake;
  /** The tables written: the live ones, or a rebuild's fresh ones (IndexRebuild). */
  private final String itemTable;
  private final String parkedTable;
  /** The writer whose rows of rebound_item_count get the changes of statuses written; null: not counted (a rebuild's fresh tables). */
  private final String countsWriter;
  private final ItemCounts counts = new ItemCounts();

  /**
   * @param redactErrors encryption at rest is on: last_error gets a fixed text, since handler
   *     messages may quote the payload (the kind is still stored, the item has the message)
   * @param wake the node's rebound.wake horizon and settle
   */
  IndexUpdates(boolean redactErrors, WakeRule wake) {
    this(redactErrors, wake, null);
  }

  /** Writing the live tables; {@code countsWriter}: see {@link ItemCounts} (the projection's slice), null: not counted. */
  IndexUpdates(boolean redactErrors, WakeRule wake, String countsWriter) {
    this(redactErrors, wake, "rebound_item", "rebound_parked", countsWriter);
  }

  IndexUpdates(boolean redactErrors, WakeRule wake, String itemTable, String parkedTable, String countsWriter) {
    this.redactErrors = redactErrors;
    this.wake = wake;
    this.itemTable = itemTable;
    this.parkedTable = parkedTable;
    this.countsWriter = countsWriter;
  }

  /**
   * Adds one event of the item with this id, the {@code seqNr}-th of its journal. An event not
   * newer than one already folded in is ignored; so is, when written, one not newer than the row's.
   */
  void add(String id, long seqNr, ItemEntity.Event event) {
    addEvent(id, seqNr, event);
  }

  /**
   * Adds the next event of the item, all of whose events are added in journal order from its
   * first (a rebuild): numbered on from the last one added, at most its journal's sequence number.
   */
  void add(String id, ItemEntity.Event event) {
    Change change = changes.get(id);
    addEvent(id, change == null ? 1 : change.seqNr + 1, event);
  }

  private void addEvent(String id, long seqNr, ItemEntity.Event event) {
    Change change = changes.computeIfAbsent(id, k -> new Change());
    if (seqNr <= change.seqNr) {
      LOG.debug("Index: event {} of item {} is not newer than {}; ignored", seqNr, id, change.seqNr);
      return;
    }
    if (event instanceof ItemEntity.Enqueued) {
      // A new life of the id (first enqueue, or again after retention purged it): every column.
      change.columns.clear();
      change.whole = true;
    }
    ItemEvents.Meaning meaning = ItemEvents.meaning(event);
    Map<String, Object> columns = columns(meaning);
    if (meaning.columns().containsKey("wake_at")) {
      // Every event sets wake_at and updated_at (ItemEvents.status).
      columns.put("wake_after", SqlTime.of(wake.wakeAfter(
          (Instant) meaning.columns().get("wake_at"), (Instant) meaning.columns().get("updated_at"))));
    }
    if (redactErrors && columns.get("last_error") != null) {
      columns.put("last_error", Encryption.REDACTED_ERROR);
    }
    change.columns.putAll(columns);
    change.columns.put("seq_nr", seqNr);
    change.seqNr = seqNr;
    change.events.add(new Folded(seqNr, event.getClass().getName()));
    if (meaning.parkedOn() != null) {
      change.parkedOn = meaning.parkedOn();
      change.parkedAt = meaning.at();
    }
  }

  boolean isEmpty() {
    return changes.isEmpty();
  }

  /**
   * Writes every folded change, all or nothing (an error is thrown, the caller rolls back); rows
   * of items the index never saw created are skipped, and so are changes older than their row.
   */
  void write(Connection c) throws SQLException {
    // In batches, a few statements per group rather than one or two per item: each is a round trip
    // on PostgreSQL. The same writes as writeEach makes item by item, in another order (each item
    // has one change, and items do not depend on one another).
    counts.clear(); // a write that failed before (then rolled back) leaves none of its moves
    Map<String, ItemCounts.Row> rows = rows(c, changes.entrySet().stream()
        .filter(e -> e.getValue().whole || countsWriter != null).map(Map.Entry::getKey).toList());
    List<Map.Entry<String, Change>> inserts = new ArrayList<>();
    Map<List<String>, List<Map.Entry<String, Change>>> updatesByColumns = new LinkedHashMap<>();
    for (Map.Entry<String, Change> e : changes.entrySet()) {
      if (e.getValue().whole && !rows.containsKey(e.getKey())) {
        inserts.add(e);
      } else {
        updatesByColumns.computeIfAbsent(List.copyOf(e.getValue().columns.keySet()), k -> new ArrayList<>()).add(e);
      }
    }
    List<Map.Entry<String, Change>> written = new ArrayList<>(insertAll(c, inserts));
    for (Map.Entry<List<String>, List<Map.Entry<String, Change>>> shape : updatesByColumns.entrySet()) {
      written.addAll(updateAll(c, shape.getKey(), shape.getValue()));
    }
    for (Map.Entry<String, Change> e : written) {
      if (e.getValue().parkedOn != null) {
        parked(c, itemTable, parkedTable, e.getKey(), e.getValue().parkedOn, e.getValue().parkedAt);
      }
      counted(rows.get(e.getKey()), e.getValue());
    }
    writeCounts(c);
    changes.clear();
  }

  /** A change written over the row {@code before} was (null: none): its queue, status and attempts moved. */
  private void counted(ItemCounts.Row before, Change change) {
    if (countsWriter == null) {
      return;
    }
    Object queue = change.columns.getOrDefault("queue", before == null ? null : before.key().queue());
    Object status = change.columns.getOrDefault("status", before == null ? null : before.key().status());
    Object attempts = change.columns.getOrDefault("attempts", before == null ? 0 : before.attempts());
    counts.moved(before, queue == null || status == null ? null
        : new ItemCounts.Row(new ItemCounts.Key((String) storable(queue), (String) status), ((Number) attempts).intValue()));
  }

  private void writeCounts(Connection c) throws SQLException {
    if (countsWriter != null) {
      counts.write(c, countsWriter);
    }
  }

  /**
   * The queue, status and attempts of these ids' rows, for those that have one: one query for a group (the
   * key answers {@code = ANY}), locked in the transaction that then writes them, so no other
   * writer moves them in between (a slice's projection is its items' only writer, but two of its
   * instances may overlap in a handover; a retention purge's delete waits, or makes the update
   * find no row).
   */
  private Map<String, ItemCounts.Row> rows(Connection c, List<String> ids) throws SQLException {
    Map<String, ItemCounts.Row> out = new HashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    try (PreparedStatement st = c.prepareStatement("SELECT id, queue, status, attempts FROM " + itemTable + " WHERE id = ANY(?) FOR UPDATE")) {
      st.setArray(1, c.createArrayOf("VARCHAR", ids.toArray(String[]::new)));
      try (java.sql.ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), new ItemCounts.Row(new ItemCounts.Key(rs.getString(2), rs.getString(3)), rs.getInt(4)));
        }
      }
    }
    return out;
  }

  private List<Map.Entry<String, Change>> insertAll(Connection c, List<Map.Entry<String, Change>> rows) throws SQLException {
    if (rows.isEmpty()) {
      return rows;
    }
    try (PreparedStatement st = c.prepareStatement(insertSql(itemTable))) {
      for (Map.Entry<String, Change> e : rows) {
        bindInsert(st, e.getKey(), e.getValue().columns);
        st.addBatch();
      }
      st.executeBatch();
    }
    return rows;
  }

  /** Updates rows whose changes set the same columns; returns those written (not late, and with a row). */
  private List<Map.Entry<String, Change>> updateAll(Connection c, List<String> names, List<Map.Entry<String, Change>> rows)
      throws SQLException {
    int[] counts;
    try (PreparedStatement st = c.prepareStatement(updateSql(itemTable, names))) {
      for (Map.Entry<String, Change> e : rows) {
        bindUpdate(st, names, e.getKey(), e.getValue().columns);
        st.addBatch();
      }
      counts = st.executeBatch();
    }
    List<Map.Entry<String, Change>> written = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      // SUCCESS_NO_INFO: the driver did not count; as with a count, the row moved forwards or stayed.
      if (counts[i] > 0 || counts[i] == java.sql.Statement.SUCCESS_NO_INFO) {
        written.add(rows.get(i));
      } else {
        notWritten(c, rows.get(i).getKey(), rows.get(i).getValue());
      }
    }
    return written;
  }

  /**
   * Writes each item's change apart, under a savepoint: one the database refuses for its data
   * (SQLState class 22 or 23: a value too long, a missing one, a broken constraint) or that fails
   * in this code is rolled back alone and returned. Any other error (the connection, the schema,
   * a conflict) is thrown: the group is retried, as it may succeed later.
   */
  List<Refused> writeEach(Connection c) throws SQLException {
    // After a batched write that failed and was rolled back: none of its counted moves stand.
    counts.clear();
    List<Refused> refused = new ArrayList<>();
    for (Map.Entry<String, Change> e : changes.entrySet()) {
      Savepoint sp = c.setSavepoint();
      try {
        ItemCounts.Row before = row(c, itemTable, e.getKey());
        if (write(c, e.getKey(), e.getValue(), before != null)) {
          counted(before, e.getValue());
        }
        c.releaseSavepoint(sp);
      } catch (SQLException ex) {
        if (!refusedData(ex)) {
          throw ex;
        }
        c.rollback(sp);
        refused.add(new Refused(e.getKey(), List.copyOf(e.getValue().events), ex.toString()));
      } catch (RuntimeException ex) {
        c.rollback(sp);
        refused.add(new Refused(e.getKey(), List.copyOf(e.getValue().events), ex.toString()));
      }
    }
    writeCounts(c);
    changes.clear();
    return refused;
  }

  /** A data exception (22) or an integrity constraint violation (23): this value will never be stored. */
  static boolean refusedData(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("23"));
  }

  /** Writes one change; {@code rowExists}: the item has a row (read just before). Returns whether it was written. */
  private boolean write(Connection c, String id, Change change, boolean rowExists) throws SQLException {
    // A change that starts a new life of the id is usually a new row: it was looked up first, so
    // that it costs one read and one insert rather than an update of nothing, a read and an insert.
    int updated = change.whole && !rowExists ? insert(c, itemTable, id, change.columns) : 0;
    if (updated == 0) {
      updated = update(c, itemTable, id, change.columns);
    }
    if (updated == 0) {
      notWritten(c, id, change);
      return false;
    }
    if (change.parkedOn != null) {
      parked(c, itemTable, parkedTable, id, change.parkedOn, change.parkedAt);
    }
    return true;
  }

  /** The queue, status and attempts of the item's row, or null without one. */
  private static ItemCounts.Row row(Connection c, String table, String id) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT queue, status, attempts FROM " + table + " WHERE id = ? FOR UPDATE")) {
      st.setString(1, id);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        return rs.next() ? new ItemCounts.Row(new ItemCounts.Key(rs.getString(1), rs.getString(2)), rs.getInt(3)) : null;
      }
    }
  }

  /** Says why a change updated no row (at debug: both are expected). */
  private void notWritten(Connection c, String id, Change change) throws SQLException {
    if (!LOG.isDebugEnabled()) {
      return;
    }
    Long rowSeqNr = seqNr(c, itemTable, id);
    if (rowSeqNr != null) {
      // The row has an event at least as new: this one came late (a replay, a slice that was
      // behind); applied, it would move the row backwards.
      LOG.debug("Index: row of item {} is at event {}; ignored events up to {}", id, rowSeqNr, change.seqNr);
    } else {
      // Events written before the index existed, or after its row was purged: nothing to update.
      LOG.debug("No index row for item {}; skipping {}", id, change.columns.keySet());
    }
  }

  /** The row's sequence number (0 for a row written before rows had one), or null without a row. */
  private static Long seqNr(Connection c, String table, String id) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT seq_nr FROM " + table + " WHERE id = ?")) {
      st.setString(1, id);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  private static void parked(Connection c, String itemTable, String parkedTable, String id, List<String> tools, Instant parkedAt)
      throws SQLException {
    try (PreparedStatement st = c.prepareStatement("DELETE FROM " + parkedTable + " WHERE id = ?")) {
      st.setString(1, id);
      st.executeUpdate();
    }
    // Once per tool: a handler may name one twice, and (tool, id) is the table's key.
    for (String tool : new java.util.LinkedHashSet<>(tools)) {
      // The priority comes from the item's row, written just before.
      try (PreparedStatement st = c.prepareStatement(
          "INSERT INTO " + parkedTable + " (tool, id, priority, parked_at) SELECT ?, id, priority, ? FROM " + itemTable + " WHERE id = ?")) {
        st.setString(1, (String) storable(tool));
        st.setObject(2, time(parkedAt));
        st.setString(3, id);
        st.executeUpdate();
      }
    }
  }

  /** The columns an event sets ({@link ItemEvents} says which), as the index stores them. */
  static Map<String, Object> columns(ItemEntity.Event event) {
    return columns(ItemEvents.meaning(event));
  }

  private static Map<String, Object> columns(ItemEvents.Meaning meaning) {
    Map<String, Object> m = new LinkedHashMap<>();
    meaning.columns().forEach((name, value) -> m.put(name,
        value instanceof Instant at ? time(at) : "last_error".equals(name) ? truncate((String) value) : value));
    return m;
  }

  private static int update(Connection c, String table, String id, Map<String, Object> columns) throws SQLException {
    List<String> names = new ArrayList<>(columns.keySet());
    try (PreparedStatement st = c.prepareStatement(updateSql(table, names))) {
      bindUpdate(st, names, id, columns);
      return st.executeUpdate();
    }
  }

  /** Only forwards: a row already at this event or a later one is left as it is. */
  private static String updateSql(String table, List<String> names) {
    return "UPDATE " + table + " SET " + String.join(" = ?, ", names) + " = ? WHERE id = ? AND (seq_nr IS NULL OR seq_nr < ?)";
  }

  private static void bindUpdate(PreparedStatement st, List<String> names, String id, Map<String, Object> columns) throws SQLException {
    int i = 1;
    for (String name : names) {
      st.setObject(i++, storable(columns.get(name)));
    }
    st.setString(i++, id);
    st.setLong(i, (Long) columns.get("seq_nr"));
  }

  private static int insert(Connection c, String table, String id, Map<String, Object> columns) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(insertSql(table))) {
      bindInsert(st, id, columns);
      return st.executeUpdate();
    }
  }

  private static String insertSql(String table) {
    return "INSERT INTO " + table + " (id, " + String.join(", ", ALL_COLUMNS) + ") VALUES (?" + ", ?".repeat(ALL_COLUMNS.size()) + ")";
  }

  private static void bindInsert(PreparedStatement st, String id, Map<String, Object> columns) throws SQLException {
    st.setString(1, id);
    int i = 2;
    for (String name : ALL_COLUMNS) {
      st.setObject(i++, storable(columns.get(name)));
    }
  }

  /** See {@link SqlTime#of}. */
  public static OffsetDateTime time(Instant at) {
    return SqlTime.of(at);
  }

  /**
   * Text PostgreSQL can store: it refuses NUL (U+0000) in text ("invalid byte sequence for
   * encoding UTF8: 0x00"), and one such value would stop the slice's projection for good. NUL
   * becomes U+FFFD, and so does a lone surrogate (not valid UTF-8 either). Items keep the original.
   */
  static Object storable(Object value) {
    if (!(value instanceof String s)) {
      return value;
    }
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      boolean bad;
      if (ch == '\u0000') {
        bad = true;
      } else if (Character.isHighSurrogate(ch)) {
        bad = i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (!bad) {
          if (b != null) {
            b.append(ch).append(s.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        bad = Character.isLowSurrogate(ch);
      }
      if (bad && b == null) {
        b = new StringBuilder(s.length()).append(s, 0, i);
      }
      if (b != null) {
        b.append(bad ? '\uFFFD' : ch);
      }
    }
    return b == null ? s : b.toString();
  }

  private static String truncate(String s) {
    return s == null || s.length() <= MAX_ERROR ? s : s.substring(0, MAX_ERROR - 1) + "…";
  }
}
