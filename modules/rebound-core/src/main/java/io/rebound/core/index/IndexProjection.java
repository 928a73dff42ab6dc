package io.rebound.core.index;

import io.rebound.core.storage.IndexDatabase;
import io.rebound.core.crypto.Encryption;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemTags;
import io.rebound.core.wake.WakeRule;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * Keeps {@code rebound_item} up to date from the items' tagged events: one exactly-once JDBC
 * projection per tag slice, run as a sharded daemon process so that each slice runs on exactly
 * one node of the cluster. Rows and the projection's offset commit in one transaction, so a
 * restart neither misses nor repeats an event.
 */
public final class IndexProjection {
  public static final String NAME = "rebound-index";

  private IndexProjection() {}

  /** @param wake the node's wake settings' rule, for each row's wake_after */
  public static void init(ActorSystem<?> system, IndexDatabase db, IndexSettings settings, WakeRule wake) {
    List<String> tags = ItemTags.all(settings.tagSlices());
    ShardedDaemonProcess.get(system).init(
        ProjectionBehavior.Command.class,
        NAME,
        tags.size(),
        i -> ProjectionBehavior.create(projection(system, db, settings, wake, tags.get(i))),
        ShardedDaemonProcessSettings.create(system),
        Optional.of(ProjectionBehavior.stopMessage()));
  }

  /**
   * Creates the index tables and the projections' offset tables when missing.
   *
   * @param queueTools each queue's tools, to fill a parked table created now from PARKED rows
   */
  public static CompletionStage<Done> createTables(ActorSystem<?> system, IndexDatabase db, Map<String, List<String>> queueTools) {
    boolean encrypted = Encryption.enabled(system.settings().config());
    return db.run(c -> {
      IndexSchema.ensure(c, queueTools);
      if (encrypted) {
        // Rows projected before encryption was turned on may quote payloads in their errors.
        try (PreparedStatement st = c.prepareStatement(
            "UPDATE rebound_item SET last_error = ? WHERE last_error IS NOT NULL AND last_error <> ?")) {
          st.setString(1, Encryption.REDACTED_ERROR);
          st.setString(2, Encryption.REDACTED_ERROR);
          st.executeUpdate();
        }
      }
      return Done.getInstance();
    }).thenCompose(d -> JdbcProjection.createTablesIfNotExists(() -> IndexSession.open(db), system));
  }

  static GroupedProjection<Offset, EventEnvelope<ItemEntity.Event>> projection(
      ActorSystem<?> system, IndexDatabase db, IndexSettings settings, WakeRule wake, String tag) {
    return JdbcProjection.<Offset, EventEnvelope<ItemEntity.Event>, IndexSession>groupedWithin(
            ProjectionId.of(NAME, tag),
            EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag),
            () -> IndexSession.open(db),
            () -> new Handler(Encryption.enabled(system.settings().config()), wake, ProjectionHealth.get(system), tag),
            system)
        .withGroup(settings.groupSize(), settings.groupWithin());
  }

  /** Writes one group of events in the projection's transaction. */
  static final class Handler extends JdbcHandler<List<EventEnvelope<ItemEntity.Event>>, IndexSession> {
    private final boolean redactErrors;
    private final WakeRule wake;
    private final ProjectionHealth health;
    private final String slice;

    /**
     * @param redactErrors encryption at rest is on: error messages stay out of the table
     * @param wake the node's rebound.wake horizon and settle, for each row's wake_after
     * @param health told of every group written or failed, so that a stalled slice shows
     */
    Handler(boolean redactErrors, WakeRule wake, ProjectionHealth health, String slice) {
      this.redactErrors = redactErrors;
      this.wake = wake;
      this.health = health;
      this.slice = slice;
    }

    @Override
    public void process(IndexSession session, List<EventEnvelope<ItemEntity.Event>> envelopes) throws Exception {
      IndexUpdates updates = new IndexUpdates(redactErrors, wake, slice);
      List<IndexUpdates.Refused> refused = new ArrayList<>();
      for (EventEnvelope<ItemEntity.Event> env : envelopes) {
        String id = idOf(env.persistenceId());
        try {
          updates.add(id, env.sequenceNr(), env.event());
        } catch (RuntimeException e) {
          refused.add(new IndexUpdates.Refused(id, List.of(new IndexUpdates.Folded(env.sequenceNr(),
              env.event() == null ? "null" : env.event().getClass().getName())), e.toString()));
        }
      }
      int quarantined;
      try {
        quarantined = session.withConnection(c -> {
          Savepoint sp = c.setSavepoint();
          try {
            updates.write(c);
            c.releaseSavepoint(sp);
          } catch (SQLException e) {
            if (!IndexUpdates.refusedData(e)) {
              throw e;
            }
            // Some item's row cannot be stored: write them one by one, quarantine the refused.
            c.rollback(sp);
            refused.addAll(updates.writeEach(c));
          } catch (RuntimeException e) {
            c.rollback(sp);
            refused.addAll(updates.writeEach(c));
          }
          return refused.isEmpty() ? 0 : IndexQuarantine.record(c, refused, java.time.Instant.now());
        });
      } catch (Exception | Error e) {
        health.failed(slice, e, java.time.Instant.now());
        throw e;
      }
      health.succeeded(slice);
      // A failed commit repeats the group, and its quarantine: counted again (a rare over-count).
      health.quarantined(quarantined);
    }
  }

  /** "Item|id" to "id". */
  static String idOf(String persistenceId) {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? persistenceId : persistenceId.substring(bar + 1);
  }
}
