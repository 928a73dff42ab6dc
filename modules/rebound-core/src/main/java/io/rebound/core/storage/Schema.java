package io.rebound.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Creates the journal and snapshot tables on start, from the DDL that pekko-persistence-jdbc ships
 * for the database in use. The shipped script is not idempotent (its unique index has no IF NOT
 * EXISTS), so it runs only when the journal table is missing. On PostgreSQL, nodes of a cluster
 * start at once against one database: each creates the schema under {@link #lock}, so only the
 * first one runs the DDL.
 */
public final class Schema {
  private Schema() {}

  public enum Dialect {
    H2("org.h2.Driver", "slick.jdbc.H2Profile$", "schema/h2/h2-create-schema.sql"),
    POSTGRES("org.postgresql.Driver", "slick.jdbc.PostgresProfile$", "schema/postgres/postgres-create-schema.sql");

    public final String driver;
    public final String slickProfile;
    final String ddl;

    Dialect(String driver, String slickProfile, String ddl) {
      this.driver = driver;
      this.slickProfile = slickProfile;
      this.ddl = ddl;
    }

    public static Dialect of(String url) {
      if (url.startsWith("jdbc:h2:")) {
        return H2;
      }
      if (url.startsWith("jdbc:postgresql:")) {
        return POSTGRES;
      }
      throw new IllegalArgumentException("unsupported database URL '" + url + "' (jdbc:h2: or jdbc:postgresql:)");
    }
  }

  /** An arbitrary but fixed key of the PostgreSQL advisory lock that serializes schema changes. */
  static final long LOCK_KEY = 0x5245424f554e44L; // "REBOUND"

  /** Creates the tables if they are missing; safe to call on every start, from many nodes at once. */
  public static void ensure(String url, String user, String password) throws SQLException {
    Dialect dialect = Dialect.of(url);
    try (Lock lock = lock(url, user, password)) {
      Connection c = lock.connection;
      if (tableExists(c, "event_journal")) {
        tagIndex(c);
        return;
      }
      // One transaction where DDL is transactional (PostgreSQL): a node that dies half way leaves
      // no journal table without its tag and snapshot tables, which the check above would then skip.
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        for (String sql : ddl(dialect).split(";")) {
          if (!sql.isBlank()) {
            st.execute(sql);
          }
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
      tagIndex(c);
    }
  }

  /**
   * The index the read side's events-by-tag query needs ({@link TagRangeReadJournalDao}): the
   * shipped DDL indexes tags only by event, so a query by tag would read the whole table. Added to
   * journals created before it, once (it blocks writes to the tag table while it is built).
   */
  private static void tagIndex(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE INDEX IF NOT EXISTS \"event_tag_tag_idx\" ON \"event_tag\" (\"tag\", \"event_id\")");
    }
  }

  /**
   * Holds the schema lock until closed: a session-level advisory lock on PostgreSQL (released
   * when the connection closes, even if the node dies), nothing on H2, whose file one process owns.
   */
  public static Lock lock(String url, String user, String password) throws SQLException {
    Connection c = DriverManager.getConnection(url, user, password);
    try {
      if (Dialect.of(url) == Dialect.POSTGRES) {
        try (Statement st = c.createStatement()) {
          st.execute("SELECT pg_advisory_lock(" + LOCK_KEY + ")");
        }
      }
      return new Lock(c);
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** See {@link #lock}; closing it closes its connection, which releases the lock. */
  public static final class Lock implements AutoCloseable {
    private final Connection connection;

    private Lock(Connection connection) {
      this.connection = connection;
    }

    @Override
    public void close() throws SQLException {
      connection.close();
    }
  }

  private static boolean tableExists(Connection c, String table) throws SQLException {
    try (ResultSet rs = c.getMetaData().getTables(null, null, table, null)) {
      return rs.next();
    }
  }

  static String ddl(Dialect d) {
    try (InputStream in = Schema.class.getClassLoader().getResourceAsStream(d.ddl)) {
      if (in == null) {
        throw new IllegalStateException("pekko-persistence-jdbc's " + d.ddl + " is not on the classpath");
      }
      // CREATE INDEX CONCURRENTLY waits for every open transaction, among them another node's
      // wait for the schema lock that this one holds: a deadlock. The tables are new and empty.
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("CREATE INDEX CONCURRENTLY", "CREATE INDEX");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + d.ddl, e);
    }
  }
}
