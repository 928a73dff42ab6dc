package io.rebound.core.storage;

import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import scala.Option;
import scala.concurrent.Future;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.SimpleJdbcAction;

/** Names of the journal's tables and columns as the plugin is configured, quoted as its own queries quote them. */
final class JournalSql {
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
