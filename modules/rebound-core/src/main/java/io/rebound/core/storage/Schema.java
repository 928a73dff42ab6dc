package io.rebound.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

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
        tune(c, dialect);
        return;
      }
      // One transaction where DDL is transactional (PostgreSQL): a node that dies half way leaves
      // no journal table without its tag and snapshot tables, which the check above would then skip.
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        for (String sql : (dialect == Dialect.H2 ? h2Layout(ddl(dialect)) : ddl(dialect)).split(";")) {
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
      tune(c, dialect);
    }
  }

  /**
   * What the shipped DDL gets wrong for Rebound's use, put right on every start (each step is a
   * no-op once done):
   * <ul>
   *   <li>the journal's {@code rebound_tag} column and its index {@code (rebound_tag, ordering)}:
   *       an event with one tag (every item event) carries it in its own row instead of a row of
   *       the tag table ({@link BatchJournalDao}), one index entry where a tag row cost three
   *       (on a journal written by an older version, H2 copies the table once to add the column,
   *       and both databases build the index once, at that start);
   *   <li>the index the read side's events-by-tag query needs ({@link TagRangeReadJournalDao}):
   *       the shipped DDL indexes tags only by event, so a query by tag would read the whole table
   *       (building it blocks writes to the tag table once);
   *   <li>no foreign key from a tag row to its event: {@link BatchJournalDao} writes both in one
   *       transaction, and the retention purge deletes an item's tag rows before its events (only
   *       item events are tagged), so the key only cost a look-up, and on H2 an index, per event;
   *   <li>on H2, one unique index on {@code ordering}: the shipped DDL declares the column
   *       {@code UNIQUE} and then adds a unique index on it too, and H2 keeps both on every insert.
   * </ul>
   */
  private static void tune(Connection c, Dialect dialect) throws SQLException {
    try (Statement st = c.createStatement()) {
      // Indexes only when missing: on PostgreSQL even CREATE INDEX IF NOT EXISTS takes a share lock
      // on the table, which waits for writes in flight and holds new ones up, on every start.
      if (!indexExists(c, dialect, "event_tag_tag_idx")) {
        dropInvalid(st, "event_tag_tag_idx");
        st.execute("CREATE INDEX IF NOT EXISTS \"event_tag_tag_idx\" ON \"event_tag\" (\"tag\", \"event_id\")");
      }
      // Only when there: on PostgreSQL even a DROP ... IF EXISTS locks the table, and every node
      // start would then hold up the cluster's writes behind any long transaction.
      for (String constraint : foreignKeysOfTags(c, dialect)) {
        st.execute("ALTER TABLE \"event_tag\" DROP CONSTRAINT " + JournalSql.q(constraint));
      }
      // Before the column: H2 rebuilds the table to add it, and would then tie the column's UNIQUE
      // constraint to the duplicate index, which could no longer be dropped.
      if (dialect == Dialect.H2 && hasUniqueConstraintOnOrdering(c)) {
        st.execute("DROP INDEX IF EXISTS \"event_journal_ordering_idx\"");
      }
      // Checked first: on PostgreSQL even ADD COLUMN IF NOT EXISTS takes the table's exclusive lock.
      if (!columnExists(c, dialect, "event_journal", "rebound_tag")) {
        st.execute("ALTER TABLE \"event_journal\" ADD COLUMN " + JournalSql.TAG_COLUMN + " VARCHAR(256)");
      }
      if (!indexExists(c, dialect, "event_journal_tag_idx")) {
        dropInvalid(st, "event_journal_tag_idx");
        st.execute("CREATE INDEX IF NOT EXISTS \"event_journal_tag_idx\" ON \"event_journal\" (" + JournalSql.TAG_COLUMN + ", \"ordering\")");
      }
    }
  }

  private static List<String> foreignKeysOfTags(Connection c, Dialect dialect) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT CONSTRAINT_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS"
            + " WHERE TABLE_NAME = 'event_tag' AND CONSTRAINT_TYPE = 'FOREIGN KEY'"
            + (dialect == Dialect.POSTGRES ? " AND TABLE_SCHEMA = current_schema()" : ""))) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** On PostgreSQL only a valid index counts: a failed CREATE INDEX CONCURRENTLY leaves an invalid one behind. */
  private static boolean indexExists(Connection c, Dialect dialect, String index) throws SQLException {
    String sql = dialect == Dialect.POSTGRES
        ? "SELECT COUNT(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_namespace n ON n.oid = x.relnamespace"
            + " WHERE x.relname = ? AND n.nspname = current_schema() AND i.indisvalid"
        : "SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES WHERE INDEX_NAME = ?";
    try (java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, index);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getLong(1) > 0;
      }
    }
  }

  /** An index of that name that {@link #indexExists} did not count (an invalid one) is built again. */
  private static void dropInvalid(Statement st, String index) throws SQLException {
    st.execute("DROP INDEX IF EXISTS " + JournalSql.q(index));
  }

  private static boolean columnExists(Connection c, Dialect dialect, String table, String column) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = '" + table
            + "' AND COLUMN_NAME = '" + column + "'" + (dialect == Dialect.POSTGRES ? " AND TABLE_SCHEMA = current_schema()" : ""))) {
      return rs.next() && rs.getLong(1) > 0;
    }
  }

  /** The column's own UNIQUE constraint, which keeps ordering unique once the extra index is gone. */
  private static boolean hasUniqueConstraintOnOrdering(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS tc"
            + " JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE k ON k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME AND k.TABLE_NAME = tc.TABLE_NAME"
            + " WHERE tc.TABLE_NAME = 'event_journal' AND tc.CONSTRAINT_TYPE = 'UNIQUE' AND k.COLUMN_NAME = 'ordering'")) {
      return rs.next() && rs.getLong(1) > 0;
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

  private static final String SHIPPED_ORDERING = "\"ordering\" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,";
  private static final String SHIPPED_KEY = "PRIMARY KEY(\"persistence_id\",\"sequence_number\")";
  private static final String SHIPPED_ORDERING_INDEX =
      "CREATE UNIQUE INDEX \"event_journal_ordering_idx\" on PUBLIC.\"event_journal\" (\"ordering\");";

  /**
   * The shipped H2 DDL with the journal keyed by {@code ordering}. H2 stores a table's rows by its
   * primary key only when that is one integer column; the shipped key {@code (persistence_id,
   * sequence_number)} made it keep the rows under a hidden row id, with the key as one index and
   * {@code ordering} as another. Keyed by ordering, each event is one B-tree entry fewer, and the
   * read side's look-ups by ordering find the row itself. {@code (persistence_id, sequence_number)}
   * stays unique, which the journal's writes rely on. Only for a new journal: an existing one keeps
   * the layout it has.
   */
  static String h2Layout(String shipped) {
    int ordering = shipped.indexOf(SHIPPED_ORDERING);
    // The journal's own key: the first one, right after its ordering (the snapshot table has the same key).
    int key = shipped.indexOf(SHIPPED_KEY, Math.max(ordering, 0));
    if (ordering < 0 || key < 0 || !shipped.contains(SHIPPED_ORDERING_INDEX)) {
      throw new IllegalStateException("pekko-persistence-jdbc's H2 DDL is not the one Rebound knows: " + Dialect.H2.ddl);
    }
    // With the tag column (see tune) from the start: H2 adds a column by copying the table.
    String keyed = shipped.substring(0, key) + "CONSTRAINT \"event_journal_pid_seq\" UNIQUE(\"persistence_id\",\"sequence_number\")"
        + shipped.substring(key + SHIPPED_KEY.length());
    return keyed.replace(SHIPPED_ORDERING, "\"ordering\" BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, " + JournalSql.TAG_COLUMN + " VARCHAR(256),")
        .replace(SHIPPED_ORDERING_INDEX, "");
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
