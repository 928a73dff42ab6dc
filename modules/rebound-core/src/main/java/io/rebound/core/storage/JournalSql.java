package io.rebound.core.storage;

import java.sql.ResultSet;
import java.sql.SQLException;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import scala.Option;
import scala.concurrent.Future;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.SimpleJdbcAction;

/** Names of the journal's tables and columns as the plugin is configured, quoted as its own queries quote them. */
final class JournalSql {
  /**
   * Rebound's column on the plugin's journal table: the tag of an event with exactly one (every
   * item event's slice), so that it needs no row in the tag table. Added by {@link Schema}.
   */
  static final String TAG_COLUMN = "\"rebound_tag\"";
  final String journal;
  final String tags;
  final EventJournalTableColumnNames c;
  final String tagEventId;
  final String tagName;

  JournalSql(EventJournalTableConfiguration events, EventTagTableConfiguration tagTable) {
    this.journal = table(events.schemaName(), events.tableName());
    this.tags = table(tagTable.schemaName(), tagTable.tableName());
    this.c = events.columnNames();
    this.tagEventId = q(tagTable.columnNames().eventId());
    this.tagName = q(tagTable.columnNames().tag());
  }

  /** The journal's columns after its ordering, in the order of the plugin's row type. */
  String rowColumns(String alias) {
    String p = alias.isEmpty() ? "" : alias + ".";
    return String.join(", ", p + q(c.deleted()), p + q(c.persistenceId()), p + q(c.sequenceNumber()), p + q(c.writer()),
        p + q(c.writeTimestamp()), p + q(c.adapterManifest()), p + q(c.eventPayload()), p + q(c.eventSerId()),
        p + q(c.eventSerManifest()), p + q(c.metaPayload()), p + q(c.metaSerId()), p + q(c.metaSerManifest()));
  }

  /** The row at the result set's cursor, read as {@code SELECT ordering, rowColumns(...)} returns it. */
  static JournalPekkoSerializationRow row(ResultSet rs) throws SQLException {
    byte[] meta = rs.getBytes(11);
    int metaSerId = rs.getInt(12);
    Option<Object> metaId = rs.wasNull() ? Option.empty() : Option.apply(metaSerId);
    return new JournalPekkoSerializationRow(rs.getLong(1), rs.getBoolean(2), rs.getString(3), rs.getLong(4),
        rs.getString(5), rs.getLong(6), rs.getString(7), rs.getBytes(8), rs.getInt(9), rs.getString(10),
        Option.apply(meta), metaId, Option.apply(rs.getString(13)));
  }

  static String table(Option<String> schema, String name) {
    return schema.isDefined() && !schema.get().isBlank() ? q(schema.get()) + "." + q(name) : q(name);
  }

  /** The DDL's names are lower case; quoted, they match on H2 and PostgreSQL alike. */
  static String q(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** One blocking JDBC step on a pooled connection, run by Slick's executor as the plugin's own statements are. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static <R> Future<R> run(JdbcBackend.JdbcDatabaseDef db, scala.Function1<JdbcBackend.JdbcActionContext, R> step) {
    // Raw: Slick's effect type parameter is contravariant in Scala, which Java cannot express.
    return (Future<R>) db.run((DBIOAction) new SimpleJdbcAction<R>(step));
  }
}
