package io.rebound.core.index;

import io.rebound.core.config.RetentionPeriods;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blocking half of a retention run: finds the terminal items in {@code rebound_item} whose
 * status is older than their queue's retention and deletes each item's journal events, their tag
 * rows, its snapshots and its index row, one transaction per item.
 *
 * <p>Plain SQL, because pekko-persistence-jdbc 1.1.1 has no cleanup tool (Akka's {@code
 * EventSourcedCleanup} never came to Pekko), and the journal's own {@code deleteMessages} keeps
 * the highest event and needs the item's actor. Table and column names are the defaults of the
 * DDL that {@link io.rebound.core.storage.Schema} runs, quoted so that they match on H2 ({@code
 * DATABASE_TO_UPPER=false}) and PostgreSQL alike.
 *
 * <p>Not thread-safe; the {@link Retention} actor never runs two at once.
 */
public final class RetentionPurge {
  /** Opens a connection for one run; the purge closes it. */
  @FunctionalInterface
  public interface Connections {
    Connection open() throws SQLException;
  }

  /** Reads the terminal status an item's last journal event put it in, empty if it is not terminal. */
  @FunctionalInterface
  public interface LastEvent {
    Optional<ItemStatus> terminalStatus(byte[] payload, int serializerId, String manifest);
  }

  static final List<ItemStatus> TERMINAL = List.of(ItemStatus.SUCCEEDED, ItemStatus.DEAD_LETTERED, ItemStatus.CANCELLED);

  private static final String QUEUES =
      "SELECT DISTINCT queue FROM rebound_item WHERE status IN ('SUCCEEDED', 'DEAD_LETTERED', 'CANCELLED')";
  private static final String DUE =
      "SELECT id, attempts FROM rebound_item WHERE queue = ? AND status = ? AND updated_at < ? ORDER BY updated_at, id LIMIT ?";
  /** Conditional: a row that the projection moved on since it was selected (a redrive) stays. */
  private static final String DELETE_INDEX_ROW =
      "DELETE FROM rebound_item WHERE id = ? AND status = ? AND updated_at < ?";
  private static final String LAST_EVENT =
      "SELECT \"event_payload\", \"event_ser_id\", \"event_ser_manifest\", \"sequence_number\" FROM \"event_journal\""
          + " WHERE \"persistence_id\" = ? AND \"deleted\" = false ORDER BY \"sequence_number\" DESC LIMIT 1";
  /**
   * The fence: a row marked deleted just above the purged events, as the journal's own
   * deleteMessages leaves one. Recovery skips it, but it holds the sequence number: the item's
   * actor, still in memory with its old state, cannot write its next event (a redrive) into the
   * emptied journal; that write fails on the key and the actor restarts, empty. Whichever of the
   * two inserts comes second fails, so a purge and a write never both commit.
   */
  private static final String TOMBSTONE =
      "INSERT INTO \"event_journal\" (\"deleted\", \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
          + " \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES (true, ?, ?, 'rebound-retention', ?, '', ?, 0, '')";
  /** After the bounded delete: an event written since the check (a redrive) makes the purge roll back. */
  private static final String NEWER_EVENTS =
      "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" > ?";
  /** The shipped schema cascaded these from event_journal; the node drops that key (Schema), so the purge deletes them itself, first. */
  static final String DELETE_TAGS =
      "DELETE FROM \"event_tag\" WHERE \"event_id\" IN"
          + " (SELECT \"ordering\" FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" <= ?)";
  /** Bounded by the sequence number checked: an event written since is never deleted with the rest. */
  static final String DELETE_EVENTS =
      "DELETE FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" <= ?";
  private static final String DELETE_SNAPSHOTS =
      "DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ? AND \"sequence_number\" <= ?";

  private static final Logger LOG = LoggerFactory.getLogger(RetentionPurge.class);

  private final Connections connections;
  private final LastEvent lastEvent;
  private final Clock clock;

  public RetentionPurge(Connections connections, LastEvent lastEvent, Clock clock) {
    this.connections = connections;
    this.lastEvent = lastEvent;
    this.clock = clock;
  }

  /**
   * Purges what is due at {@code now}.
   *
   * @param queues the retention of each configured queue
   * @param defaults the retention of queues that are no longer configured
   * @param batchSize the most items purged per queue and terminal status
   */
  public RetentionRun run(Instant now, Map<String, RetentionPeriods> queues, RetentionPeriods defaults, int batchSize)
      throws SQLException {
    Map<String, Map<ItemStatus, Integer>> purged = new TreeMap<>();
    long events = 0;
    int skipped = 0;
    boolean filled = false;
    try (Connection c = connections.open()) {
      if (!indexExists(c)) {
        return new RetentionRun(now, clock.instant(), Map.of(), 0, 0, false);
      }
      for (String queue : queues(c)) {
        RetentionPeriods periods = queues.getOrDefault(queue, defaults);
        for (ItemStatus status : TERMINAL) {
          Instant cutoff = now.minus(periodOf(periods, status));
          List<Due> due = due(c, queue, status, cutoff, batchSize);
          filled |= due.size() == batchSize;
          for (Due item : due) {
            long deleted = purge(c, queue, item, status, cutoff);
            if (deleted < 0) {
              skipped++;
            } else {
              events += deleted;
              purged.computeIfAbsent(queue, q -> new EnumMap<>(ItemStatus.class)).merge(status, 1, Integer::sum);
            }
          }
        }
      }
    }
    return new RetentionRun(now, clock.instant(), purged, events, skipped, filled);
  }

  private static boolean indexExists(Connection c) throws SQLException {
    try (ResultSet rs = c.getMetaData().getTables(null, null, "rebound_item", null)) {
      return rs.next();
    }
  }

  /**
   * The period for a terminal status (here, not in {@code RetentionPeriods}, so that the config
   * package does not depend on the item's statuses).
   *
   * @throws IllegalArgumentException for a status that is not terminal: those are never purged
   */
  static Duration periodOf(RetentionPeriods periods, ItemStatus status) {
    return switch (status) {
      case SUCCEEDED -> periods.succeeded();
      case DEAD_LETTERED -> periods.deadLettered();
      case CANCELLED -> periods.cancelled();
      default -> throw new IllegalArgumentException(status + " is not terminal: such items are never purged");
    };
  }

  /** Every queue with terminal items, configured or not. */
  private static TreeSet<String> queues(Connection c) throws SQLException {
    TreeSet<String> out = new TreeSet<>();
    try (PreparedStatement st = c.prepareStatement(QUEUES); ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** An item due for purging, and its attempts (taken off the depth counts with it). */
  private record Due(String id, int attempts) {}

  private static List<Due> due(Connection c, String queue, ItemStatus status, Instant cutoff, int limit) throws SQLException {
    List<Due> ids = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(DUE)) {
      st.setString(1, queue);
      st.setString(2, status.name());
      st.setObject(3, IndexUpdates.time(cutoff));
      st.setInt(4, limit);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          ids.add(new Due(rs.getString(1), rs.getInt(2)));
        }
      }
    }
    return ids;
  }

  /**
   * Purges one item in one transaction, so that it is either all gone or all there.
   *
   * @return the journal events deleted, or -1 when the item was left alone: its index row or its
   *     journal no longer says it is in {@code status} (a redrive the projection has not caught
   *     up with must not lose a live item's history)
   */
  private long purge(Connection c, String queue, Due item, ItemStatus status, Instant cutoff) throws SQLException {
    String id = item.id();
    String pid = ItemEntity.persistenceId(id).id();
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      long checked;
      if (update(c, DELETE_INDEX_ROW, id, status.name(), IndexUpdates.time(cutoff)) == 0
          || (checked = checkedSequenceNr(c, pid, status)) < 0) {
        c.rollback();
        return -1;
      }
      update(c, DELETE_TAGS, pid, checked);
      long events = update(c, DELETE_EVENTS, pid, checked);
      update(c, DELETE_SNAPSHOTS, pid, checked);
      if (count(c, NEWER_EVENTS, pid, checked) > 0 || (checked > 0 && !tombstone(c, pid, checked + 1))) {
        // Written while this purge ran: the item is alive again, and keeps its whole journal.
        c.rollback();
        return -1;
      }
      ItemCounts gone = new ItemCounts();
      // The row deleted is the one selected: a change since would have moved its updated_at past the cutoff.
      gone.moved(new ItemCounts.Row(new ItemCounts.Key(queue, status.name()), item.attempts()), null);
      gone.write(c, ItemCounts.RETENTION);
      c.commit();
      return events;
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } catch (Throwable e) {
      // An event it cannot decode (and anything else): nothing of this item is committed (leaving
      // the transaction by setAutoCommit would commit it); the item is skipped, the run goes on.
      c.rollback();
      LOG.warn("Retention: left item {} alone, its purge failed: {}", id, e.toString());
      return -1;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  /**
   * The journal is the truth: its last event must have put the item in this status (or it has no
   * events left).
   *
   * @return that event's sequence number (0 without events), the bound of the deletes; -1 when
   *     the journal says otherwise
   */
  private long checkedSequenceNr(Connection c, String pid, ItemStatus status) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(LAST_EVENT)) {
      st.setString(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return 0;
        }
        long seq = rs.getLong(4);
        return lastEvent.terminalStatus(rs.getBytes(1), rs.getInt(2), rs.getString(3)).filter(status::equals).isPresent() ? seq : -1;
      }
    }
  }

  /** Writes the fence at {@code seqNr}; false when the item wrote that event first. */
  private boolean tombstone(Connection c, String pid, long seqNr) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(TOMBSTONE)) {
      st.setString(1, pid);
      st.setLong(2, seqNr);
      st.setLong(3, clock.millis());
      st.setBytes(4, new byte[0]);
      st.executeUpdate();
      return true;
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
        return false;
      }
      throw e;
    }
  }

  private static long count(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        st.setObject(i + 1, params[i]);
      }
      return st.executeUpdate();
    }
  }

}
