package io.rebound.core.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The journal's DAO (pekko-persistence-jdbc's {@code jdbc-journal.dao} extension point) with two
 * statements per write instead of one per event: the plugin's own DAO inserts every event of a
 * write holding a tagged event on its own, to read back its generated {@code ordering}, and every
 * item event is tagged. Here the events go in one JDBC batch and their tags in a second one that
 * finds each event's {@code ordering} by its primary key, in the same transaction as before: a
 * write is still all or nothing, and acknowledged only once committed. The highest sequence
 * number, read once per item start, is a plain {@code MAX} the database answers from the key.
 */
public final class BatchJournalDao extends DefaultJournalDao {

  private final String insertEvent;
  private final String insertTag;
  private final String highest;

  public BatchJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, JournalConfig journalConfig,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    EventJournalTableConfiguration events = journalConfig.eventJournalTableConfiguration();
    EventJournalTableColumnNames c = events.columnNames();
    EventTagTableConfiguration tags = journalConfig.eventTagTableConfiguration();
    String journal = table(events.schemaName(), events.tableName());
    this.insertEvent = "INSERT INTO " + journal + " (" + String.join(", ",
        q(c.deleted()), q(c.persistenceId()), q(c.sequenceNumber()), q(c.writer()), q(c.writeTimestamp()),
        q(c.adapterManifest()), q(c.eventPayload()), q(c.eventSerId()), q(c.eventSerManifest()),
        q(c.metaPayload()), q(c.metaSerId()), q(c.metaSerManifest()))
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    this.insertTag = "INSERT INTO " + table(tags.schemaName(), tags.tableName())
        + " (" + q(tags.columnNames().eventId()) + ", " + q(tags.columnNames().tag()) + ") SELECT " + q(c.ordering())
        + ", ? FROM " + journal + " WHERE " + q(c.persistenceId()) + " = ? AND " + q(c.sequenceNumber()) + " = ?";
    this.highest = "SELECT MAX(" + q(c.sequenceNumber()) + ") FROM " + journal + " WHERE " + q(c.persistenceId()) + " = ?";
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> xs) {
    List<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows = new ArrayList<>(CollectionConverters.asJava(xs));
    // As the plugin does: events in sequence number order, so each item's events get rising orderings.
    rows.sort(Comparator.comparingLong(r -> r._1().sequenceNumber()));
    return run(ctx -> {
      write(ctx.connection(), rows);
      return BoxedUnit.UNIT;
    });
  }

  @Override
  public Future<Object> highestSequenceNr(String persistenceId, long fromSequenceNr) {
    return run(ctx -> {
      try (PreparedStatement ps = ctx.connection().prepareStatement(highest)) {
        ps.setString(1, persistenceId);
        try (var rs = ps.executeQuery()) {
          return rs.next() ? (Object) rs.getLong(1) : (Object) 0L;
        }
      } catch (SQLException e) {
        throw new JournalWriteException("reading the highest sequence number of " + persistenceId, e);
      }
    });
  }

  /** One blocking JDBC step on a pooled connection, run by Slick's executor as the plugin's own statements are. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private <R> Future<R> run(scala.Function1<JdbcBackend.JdbcActionContext, R> step) {
    // Raw: Slick's effect type parameter is contravariant in Scala, which Java cannot express.
    return (Future<R>) db().run((DBIOAction) new SimpleJdbcAction<R>(step));
  }

  private void write(Connection conn, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    boolean autoCommit;
    try {
      autoCommit = conn.getAutoCommit();
    } catch (SQLException e) {
      throw new JournalWriteException("opening a journal write", e);
    }
    try {
      conn.setAutoCommit(false);
      boolean tagged = false;
      try (PreparedStatement ps = conn.prepareStatement(insertEvent)) {
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
          ps.addBatch();
          tagged |= !t._2().isEmpty();
        }
        ps.executeBatch();
      }
      if (tagged) {
        try (PreparedStatement ps = conn.prepareStatement(insertTag)) {
          for (Tuple2<JournalPekkoSerializationRow, Set<String>> t : rows) {
            for (String tag : CollectionConverters.asJava(t._2())) {
              ps.setString(1, tag);
              ps.setString(2, t._1().persistenceId());
              ps.setLong(3, t._1().sequenceNumber());
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
      throw e instanceof RuntimeException re ? re : new JournalWriteException("writing " + rows.size() + " events", (SQLException) e);
    } finally {
      try {
        conn.setAutoCommit(autoCommit);
      } catch (SQLException ignored) {
        // The pool validates the connection before it hands it out again.
      }
    }
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

  private static String table(Option<String> schema, String name) {
    return schema.isDefined() && !schema.get().isBlank() ? q(schema.get()) + "." + q(name) : q(name);
  }

  /** Quoted as the plugin's Slick queries quote them: the DDL's names are lower case. */
  private static String q(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** A journal statement failed; the persistence plugin fails the write (or recovery) with it. */
  static final class JournalWriteException extends RuntimeException {
    JournalWriteException(String what, SQLException cause) {
      super(what + ": " + cause.getMessage(), cause);
    }
  }
}
