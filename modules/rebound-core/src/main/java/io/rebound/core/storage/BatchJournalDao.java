package io.rebound.core.storage;

import static io.rebound.core.storage.JournalSql.q;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Source;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.concurrent.duration.FiniteDuration;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The journal's DAO (pekko-persistence-jdbc's {@code jdbc-journal.dao} extension point) with one
 * statement per write instead of one per event: the plugin's own DAO inserts every event of a
 * write holding a tagged event on its own, to read back its generated {@code ordering} for the tag
 * table, and every item event is tagged. Here the events go in one JDBC batch, and an event with
 * one tag (every item event: its slice) carries it in the journal's own {@code rebound_tag} column
 * ({@link Schema}), so no tag row is written for it, once every cluster member reads it there
 * ({@link JournalTagPlacement}). Other tags are written as tag rows, in a second batch that uses
 * the orderings the first returned; the read side reads both ({@link TagRangeReadJournalDao}). A write is still all or nothing, and acknowledged only
 * once committed. The highest sequence number, read once per item start, is a plain {@code MAX}
 * the database answers from the key, and a recovery's events are one plain query.
 */
public final class BatchJournalDao extends DefaultJournalDao {

  private final String insertEvent;
  private final String insertTag;
  /** Read back from the event inserts: each event's generated ordering, by its key. */
  private final String[] keyColumns;
  private final String highest;
  private final String replay;
  private final Serialization serialization;
  private final JournalTagPlacement placement;

  public BatchJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, JournalConfig journalConfig,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    JournalSql sql = new JournalSql(journalConfig.eventJournalTableConfiguration(), journalConfig.eventTagTableConfiguration());
    this.insertEvent = "INSERT INTO " + sql.journal + " (" + sql.rowColumns("") + ", " + JournalSql.TAG_COLUMN
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    this.insertTag = "INSERT INTO " + sql.tags + " (" + sql.tagEventId + ", " + sql.tagName + ") VALUES (?, ?)";
    this.keyColumns = new String[] {sql.c.ordering(), sql.c.persistenceId(), sql.c.sequenceNumber()};
    this.highest = "SELECT MAX(" + q(sql.c.sequenceNumber()) + ") FROM " + sql.journal + " WHERE " + q(sql.c.persistenceId()) + " = ?";
    this.replay = "SELECT " + q(sql.c.ordering()) + ", " + sql.rowColumns("") + " FROM " + sql.journal + " WHERE "
        + q(sql.c.persistenceId()) + " = ? AND " + q(sql.c.deleted()) + " = FALSE AND " + q(sql.c.sequenceNumber()) + " >= ? AND "
        + q(sql.c.sequenceNumber()) + " <= ? ORDER BY " + q(sql.c.sequenceNumber()) + " LIMIT ?";
    this.serialization = serialization;
    this.placement = JournalTagPlacement.get(mat.system());
  }

  /**
   * A recovery's events in one query, read batch by batch on one connection: the plugin's own
   * reads stream each batch through Slick's publisher and a stream of its own, which costs more
   * than the few events of an item (an item deferred by a full queue recovers once more).
   * Live reads (a refresh interval) stay the plugin's.
   */
  @Override
  public Source<Try<Tuple2<PersistentRepr, Object>>, NotUsed> messagesWithBatch(String persistenceId, long fromSequenceNr,
      long toSequenceNr, int batchSize, Option<Tuple2<FiniteDuration, Scheduler>> refreshInterval) {
    if (refreshInterval.isDefined()) {
      return super.messagesWithBatch(persistenceId, fromSequenceNr, toSequenceNr, batchSize, refreshInterval);
    }
    Future<List<JournalPekkoSerializationRow>> rows =
        JournalSql.run(db(), ctx -> replay(ctx.connection(), persistenceId, fromSequenceNr, toSequenceNr, batchSize));
    return org.apache.pekko.stream.javadsl.Source.completionStage(FutureConverters.asJava(rows))
        .mapConcat(list -> list)
        .map(row -> PekkoSerialization.fromRow(serialization, row))
        .asScala();
  }

  private List<JournalPekkoSerializationRow> replay(Connection conn, String persistenceId, long from, long to, int batchSize) {
    List<JournalPekkoSerializationRow> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(replay)) {
      long next = from;
      while (next <= to) {
        ps.setString(1, persistenceId);
        ps.setLong(2, next);
        ps.setLong(3, to);
        ps.setInt(4, batchSize);
        int read = 0;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            JournalPekkoSerializationRow row = JournalSql.row(rs);
            out.add(row);
            next = row.sequenceNumber() + 1;
            read++;
          }
        }
        if (read < batchSize) {
          break;
        }
      }
      return out;
    } catch (SQLException e) {
      throw new JournalStatementException("reading the events of " + persistenceId, e);
    }
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> xs) {
    List<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows = new ArrayList<>(CollectionConverters.asJava(xs));
    // As the plugin does: events in sequence number order, so each item's events get rising orderings.
    rows.sort(Comparator.comparingLong(r -> r._1().sequenceNumber()));
    return JournalSql.run(db(), ctx -> {
      write(ctx.connection(), rows);
      return BoxedUnit.UNIT;
    });
  }

  @Override
  public Future<Object> highestSequenceNr(String persistenceId, long fromSequenceNr) {
    return JournalSql.run(db(), ctx -> {
      try (PreparedStatement ps = ctx.connection().prepareStatement(highest)) {
        ps.setString(1, persistenceId);
        try (var rs = ps.executeQuery()) {
          return rs.next() ? (Object) rs.getLong(1) : (Object) 0L;
        }
      } catch (SQLException e) {
        throw new JournalStatementException("reading the highest sequence number of " + persistenceId, e);
      }
    });
  }

  

  /**
   * The orderings the database gave the events just inserted, by persistence id and sequence
   * number (matched by key, not by position, which a driver rewriting the batch need not keep).
   * A tag row then needs no look-up of its event: one plain insert, in the same transaction.
   */
  private static Map<String, Long> generatedOrderings(PreparedStatement ps, int expected) throws SQLException {
    Map<String, Long> out = new HashMap<>(expected * 2);
    try (ResultSet keys = ps.getGeneratedKeys()) {
      while (keys.next()) {
        out.put(eventKey(keys.getString(2), keys.getLong(3)), keys.getLong(1));
      }
    }
    return out;
  }

  private static String eventKey(String persistenceId, long sequenceNumber) {
    return persistenceId + '\u0000' + sequenceNumber;
  }

  private void write(Connection conn, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    boolean autoCommit;
    try {
      autoCommit = conn.getAutoCommit();
    } catch (SQLException e) {
      throw new JournalStatementException("opening a journal write", e);
    }
    try {
      conn.setAutoCommit(false);
      // Tag rows only for tags not in the event's row; their events' orderings are read back for them.
      boolean inRow = placement.inRow();
      boolean tagRows = rows.stream().anyMatch(t -> !t._2().isEmpty() && rowTag(t._2(), inRow) == null);
      Map<String, Long> orderings = Map.of();
      try (PreparedStatement ps = tagRows ? conn.prepareStatement(insertEvent, keyColumns) : conn.prepareStatement(insertEvent)) {
        for (Tuple2<JournalPekkoSerializationRow, Set<String>> t : rows) {
          JournalPekkoSerializationRow r = t._1();
          ps.setBoolean(1, r.deleted());
          ps.setString(2, r.persistenceId());
          ps.setLong(3, r.sequenceNumber());
          ps.setString(4, r.writer());
          ps.setLong(5, r.writeTimestamp());
          ps.setString(6, r.adapterManifest());
          ps.setBytes(7, r.eventPayload());
          ps.setInt(8, r.eventSerId());
          ps.setString(9, r.eventSerManifest());
          setOptionalBytes(ps, 10, r.metaPayload());
          setOptionalInt(ps, 11, r.metaSerId());
          setOptionalString(ps, 12, r.metaSerManifest());
          ps.setString(13, rowTag(t._2(), inRow));
          ps.addBatch();
        }
        ps.executeBatch();
        if (tagRows) {
          orderings = generatedOrderings(ps, rows.size());
        }
      }
      if (tagRows) {
        try (PreparedStatement ps = conn.prepareStatement(insertTag)) {
          for (Tuple2<JournalPekkoSerializationRow, Set<String>> t : rows) {
            if (rowTag(t._2(), inRow) != null) {
              continue;
            }
            for (String tag : CollectionConverters.asJava(t._2())) {
              Long ordering = orderings.get(eventKey(t._1().persistenceId(), t._1().sequenceNumber()));
              if (ordering == null) {
                throw new IllegalStateException("the database returned no ordering for event " + t._1().sequenceNumber() + " of "
                    + t._1().persistenceId() + " of the " + rows.size() + " it inserted");
              }
              ps.setLong(1, ordering);
              ps.setString(2, tag);
              ps.addBatch();
            }
          }
          ps.executeBatch();
        }
      }
      conn.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        conn.rollback();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e instanceof RuntimeException re ? re : new JournalStatementException("writing " + rows.size() + " events", (SQLException) e);
    } finally {
      try {
        conn.setAutoCommit(autoCommit);
      } catch (SQLException ignored) {
        // The pool validates the connection before it hands it out again.
      }
    }
  }

  /** The tag the event carries in its own row, or null when its tags (if any) go in tag rows. */
  private static String rowTag(Set<String> tags, boolean inRow) {
    return inRow && tags.size() == 1 ? tags.head() : null;
  }

  private static void setOptionalBytes(PreparedStatement ps, int i, Option<byte[]> v) throws SQLException {
    if (v.isDefined()) {
      ps.setBytes(i, v.get());
    } else {
      ps.setBytes(i, null);
    }
  }

  private static void setOptionalInt(PreparedStatement ps, int i, Option<Object> v) throws SQLException {
    if (v.isDefined()) {
      ps.setInt(i, (Integer) v.get());
    } else {
      ps.setNull(i, java.sql.Types.INTEGER);
    }
  }

  private static void setOptionalString(PreparedStatement ps, int i, Option<String> v) throws SQLException {
    if (v.isDefined()) {
      ps.setString(i, v.get());
    } else {
      ps.setNull(i, java.sql.Types.VARCHAR);
    }
  }

  /** A journal statement failed; the persistence plugin fails the write (or the recovery) with it. */
  static final class JournalStatementException extends RuntimeException {
    JournalStatementException(String what, SQLException cause) {
      super(what + ": " + cause.getMessage(), cause);
    }
  }
}
