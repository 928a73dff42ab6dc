package io.rebound.core.index;

import io.rebound.core.storage.IndexDatabase;
import io.rebound.core.crypto.Encryption;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemTags;
import io.rebound.core.wake.WakeRule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the read side ({@code rebound_item}, {@code rebound_parked}) from the journal while the
 * node keeps serving:
 *
 * <ol>
 *   <li>claims the rebuild's lock row (one rebuild at a time across the cluster; a row whose
 *       heartbeat is older than {@link #STALE} is taken over, its node having died);
 *   <li>notes how far the journal reached, then folds every item's events into fresh tables
 *       beside the live ones, with the projection's own {@link IndexUpdates};
 *   <li>pauses the index's projections, folds again the items whose events came after the note
 *       (now complete up to where the projections stopped), and in one transaction replaces the
 *       live rows with the rebuilt ones;
 *   <li>resumes the projections: they go on from their offsets, and since each event sets only
 *       the columns it changes, events applied again over a full fold leave the same row.
 * </ol>
 */
public final class IndexRebuild {
  private static final Logger LOG = LoggerFactory.getLogger(IndexRebuild.class);
  static final String LOCK_TABLE = "rebound_index_rebuild";
  static final String ITEMS = "rebound_item_rebuild";
  static final String PARKED = "rebound_parked_rebuild";
  private static final String LOCK_ID = "index";
  /** A running rebuild whose heartbeat is older than this lost its node. */
  static final Duration STALE = Duration.ofMinutes(2);
  /** Items folded per transaction. */
  private static final int BATCH = 200;

  /** Another rebuild holds the lock. */
  public static final class AlreadyRunningException extends RuntimeException {
    public AlreadyRunningException(Status s) {
      super("an index rebuild is already running on " + s.node() + " since " + s.startedAt());
    }
  }

  /**
   * The last rebuild (or the running one).
   *
   * @param state IDLE (never run), RUNNING, SWAPPING, DONE or FAILED
   * @param items items folded so far
   * @param estimate rows the live index had when it began
   */
  public record Status(String state, String node, Instant startedAt, Instant finishedAt, long items, long estimate, String error) {}

  private final ActorSystem<?> system;
  private final IndexDatabase db;
  private final List<String> tags;
  private final String node;
  private final Clock clock;
  private final WakeRule wake;

  /** @param wake the node's wake settings' rule, for each row's wake_after */
  public IndexRebuild(ActorSystem<?> system, IndexDatabase db, int tagSlices, String node, Clock clock, WakeRule wake) {
    this.system = system;
    this.db = db;
    this.tags = ItemTags.all(tagSlices);
    this.node = node;
    this.clock = clock;
    this.wake = wake;
  }

  /** The lock row's table; safe on every start. */
  static void ensure(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("""
          CREATE TABLE IF NOT EXISTS rebound_index_rebuild (
            id VARCHAR(16) NOT NULL PRIMARY KEY,
            state VARCHAR(16) NOT NULL,
            node VARCHAR(255),
            started_at TIMESTAMP WITH TIME ZONE,
            finished_at TIMESTAMP WITH TIME ZONE,
            heartbeat TIMESTAMP WITH TIME ZONE,
            items BIGINT NOT NULL,
            estimate BIGINT NOT NULL,
            error VARCHAR(1000)
          )""");
    }
  }

  public CompletionStage<Status> status() {
    return db.run(c -> {
      ensure(c);
      return read(c).orElse(new Status("IDLE", null, null, null, 0, 0, null));
    });
  }

  /**
   * Claims the lock and starts a rebuild in the background.
   *
   * @return the status as it starts; fails with {@link AlreadyRunningException} when one runs
   */
  public CompletionStage<Status> start() {
    return db.run(this::claim).thenApply(started -> {
      run(started.startedAt()).whenComplete((d, e) -> {
        if (e != null) {
          LOG.error("The index rebuild failed", e);
        }
      });
      return started;
    });
  }

  private Status claim(Connection c) throws SQLException {
    ensure(c);
    Instant now = clock.instant();
    long estimate;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM rebound_item")) {
      rs.next();
      estimate = rs.getLong(1);
    }
    if (read(c).isEmpty()) {
      try (PreparedStatement st = c.prepareStatement("INSERT INTO " + LOCK_TABLE + " (id, state, items, estimate) VALUES (?, 'IDLE', 0, 0)")) {
        st.setString(1, LOCK_ID);
        st.executeUpdate();
      } catch (SQLException raced) {
        // Another node inserted it first: the update below decides.
      }
    }
    try (PreparedStatement st = c.prepareStatement("UPDATE " + LOCK_TABLE
        + " SET state = 'RUNNING', node = ?, started_at = ?, finished_at = NULL, heartbeat = ?, items = 0, estimate = ?, error = NULL"
        + " WHERE id = ? AND (state NOT IN ('RUNNING', 'SWAPPING') OR heartbeat < ?)")) {
      st.setString(1, node);
      st.setObject(2, IndexUpdates.time(now));
      st.setObject(3, IndexUpdates.time(now));
      st.setLong(4, estimate);
      st.setString(5, LOCK_ID);
      st.setObject(6, IndexUpdates.time(now.minus(STALE)));
      if (st.executeUpdate() == 0) {
        throw new AlreadyRunningException(read(c).orElseThrow());
      }
    }
    return read(c).orElseThrow();
  }

  private Optional<Status> read(Connection c) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT state, node, started_at, finished_at, items, estimate, error FROM " + LOCK_TABLE + " WHERE id = ?")) {
      st.setString(1, LOCK_ID);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Status(rs.getString(1), rs.getString(2), instant(rs, 3), instant(rs, 4), rs.getLong(5), rs.getLong(6),
            rs.getString(7)));
      }
    }
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  // ---- the rebuild ------------------------------------------------------------------------

  private CompletionStage<Done> run(Instant startedAt) {
    JdbcReadJournal journal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    boolean redact = Encryption.enabled(system.settings().config());
    AtomicLong folded = new AtomicLong();
    CompletableFuture<Long> noted = new CompletableFuture<>();
    return db.run(c -> {
          createFreshTables(c);
          return journalEnd(c);
        })
        .thenCompose(end -> {
          noted.complete(end);
          return journal.currentPersistenceIds()
              .filter(pid -> pid.startsWith(ItemEntity.ENTITY_TYPE_KEY.name() + "|"))
              .mapAsync(4, pid -> events(journal, pid))
              .grouped(BATCH)
              .mapAsync(1, batch -> db.run(c -> {
                write(c, batch, redact, wake);
                heartbeat(c, "RUNNING", folded.addAndGet(batch.size()));
                return Done.getInstance();
              }))
              .runWith(Sink.ignore(), system);
        })
        .thenCompose(d -> pauseAll(true))
        .thenCompose(d -> changedSince(journal, noted.join()))
        .thenCompose(ids -> org.apache.pekko.stream.javadsl.Source.from(ids)
            .mapAsync(4, id -> events(journal, ItemEntity.persistenceId(id).id()))
            .grouped(BATCH)
            .runWith(Sink.seq(), system))
        .thenCompose(batches -> db.run(c -> {
          heartbeat(c, "SWAPPING", folded.get());
          for (List<Pair<String, List<ItemEntity.Event>>> batch : batches) {
            refold(c, batch, redact, wake);
          }
          swap(c);
          return Done.getInstance();
        }))
        .handle((d, e) -> e)
        .thenCompose(error -> pauseAll(false).handle((d, e) -> {
          if (e != null) {
            LOG.error("Could not resume the index projections after a rebuild; restart the node", e);
          }
          return error;
        }))
        .thenCompose(error -> db.run(c -> {
          finish(c, error == null ? "DONE" : "FAILED", folded.get(), error);
          if (error == null) {
            dropFreshTables(c);
            LOG.info("Rebuilt the index from the journal: {} items, in {}", folded.get(), Duration.between(startedAt, clock.instant()));
          }
          return Done.getInstance();
        }));
  }

  private CompletionStage<Pair<String, List<ItemEntity.Event>>> events(JdbcReadJournal journal, String pid) {
    return journal.currentEventsByPersistenceId(pid, 0L, Long.MAX_VALUE)
        .map(env -> (ItemEntity.Event) env.event())
        .runWith(Sink.seq(), system)
        .thenApply(events -> Pair.create(IndexProjection.idOf(pid), events));
  }

  /** Ids of items with events after the journal's end noted at the start, read through the tag slices. */
  private CompletionStage<Set<String>> changedSince(JdbcReadJournal journal, long ordering) {
    Set<String> ids = new HashSet<>();
    CompletionStage<Done> all = CompletableFuture.completedFuture(Done.getInstance());
    for (String tag : tags) {
      all = all.thenCompose(d -> journal.currentEventsByTag(tag, Offset.sequence(ordering))
          .runForeach(env -> ids.add(IndexProjection.idOf(env.persistenceId())), system));
    }
    return all.thenApply(d -> ids);
  }

  private CompletionStage<Done> pauseAll(boolean pause) {
    ProjectionManagement management = ProjectionManagement.get(system);
    List<CompletableFuture<Done>> all = new ArrayList<>();
    for (String tag : tags) {
      ProjectionId id = ProjectionId.of(IndexProjection.NAME, tag);
      all.add((pause ? management.pause(id) : management.resume(id)).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
  }

  private static void createFreshTables(Connection c) throws SQLException {
    dropFreshTables(c);
    try (Statement st = c.createStatement()) {
      st.execute(IndexSchema.DDL[0].replace("rebound_item", ITEMS));
      st.execute(IndexSchema.WAKE_DDL[0].replace("rebound_item", ITEMS));
      st.execute(IndexSchema.WAKE_AFTER_DDL[0].replace("rebound_item", ITEMS));
      st.execute(IndexSchema.QUARANTINE_DDL[0].replace("rebound_item", ITEMS));
      st.execute(IndexSchema.PARKED_DDL[0].replace("rebound_parked", PARKED));
    }
  }

  private static void dropFreshTables(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + PARKED);
      st.execute("DROP TABLE IF EXISTS " + ITEMS);
    }
  }

  /** Where the journal ends now: events after this ordering are folded again at the swap. */
  private static long journalEnd(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT MAX(\"ordering\") FROM \"event_journal\"")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void write(Connection c, List<Pair<String, List<ItemEntity.Event>>> batch, boolean redact, WakeRule wake)
      throws SQLException {
    IndexUpdates updates = new IndexUpdates(redact, wake, ITEMS, PARKED, null);
    for (Pair<String, List<ItemEntity.Event>> item : batch) {
      item.second().forEach(e -> updates.add(item.first(), e));
    }
    updates.write(c);
  }

  /** Folds the items again from their first event: their rows are replaced, not merged. */
  private static void refold(Connection c, List<Pair<String, List<ItemEntity.Event>>> batch, boolean redact, WakeRule wake)
      throws SQLException {
    for (Pair<String, List<ItemEntity.Event>> item : batch) {
      for (String table : List.of(PARKED, ITEMS)) {
        try (PreparedStatement st = c.prepareStatement("DELETE FROM " + table + " WHERE id = ?")) {
          st.setString(1, item.first());
          st.executeUpdate();
        }
      }
    }
    write(c, batch, redact, wake);
  }

  /** Replaces the live rows with the rebuilt ones in one transaction (the projections are paused). */
  private static void swap(Connection c) throws SQLException {
    String columns = "id, " + String.join(", ", IndexUpdates.ALL_COLUMNS);
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM rebound_parked");
      st.executeUpdate("DELETE FROM rebound_item");
      st.executeUpdate("INSERT INTO rebound_item (" + columns + ") SELECT " + columns + " FROM " + ITEMS);
      st.executeUpdate("INSERT INTO rebound_parked (tool, id, priority, parked_at) SELECT tool, id, priority, parked_at FROM " + PARKED);
      ItemCounts.recount(c);
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  private void heartbeat(Connection c, String state, long items) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("UPDATE " + LOCK_TABLE + " SET state = ?, heartbeat = ?, items = ? WHERE id = ? AND node = ?")) {
      st.setString(1, state);
      st.setObject(2, IndexUpdates.time(clock.instant()));
      st.setLong(3, items);
      st.setString(4, LOCK_ID);
      st.setString(5, node);
      st.executeUpdate();
    }
  }

  private void finish(Connection c, String state, long items, Throwable error) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "UPDATE " + LOCK_TABLE + " SET state = ?, finished_at = ?, heartbeat = ?, items = ?, error = ? WHERE id = ? AND node = ?")) {
      Instant now = clock.instant();
      st.setString(1, state);
      st.setObject(2, IndexUpdates.time(now));
      st.setObject(3, IndexUpdates.time(now));
      st.setLong(4, items);
      String message = error == null ? null : String.valueOf(error.getCause() != null ? error.getCause().getMessage() : error.getMessage());
      st.setString(5, message == null ? null : message.length() > 1000 ? message.substring(0, 1000) : message);
      st.setString(6, LOCK_ID);
      st.setString(7, node);
      st.executeUpdate();
    }
  }
}
