package io.rebound.multijvm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh PostgreSQL database for one test, on {@code REBOUND_TEST_PG} (default 127.0.0.1:5432,
 * user postgres, trust auth). The test is skipped, saying why, when no server answers.
 */
final class PgDatabase implements AutoCloseable {
  static final String SERVER = System.getenv().getOrDefault("REBOUND_TEST_PG", "127.0.0.1:5432");
  static final String USER = System.getenv().getOrDefault("REBOUND_TEST_PG_USER", "postgres");

  final String name;

  private PgDatabase(String name) {
    this.name = name;
  }

  static PgDatabase create() {
    String name = "rebound_mj_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      assumeTrue(false, "multi-JVM tests skipped: PostgreSQL does not answer at " + SERVER + " as user " + USER
          + " (" + e.getMessage() + "); start it or set REBOUND_TEST_PG");
    }
    return new PgDatabase(name);
  }

  String url() {
    return url(SERVER);
  }

  /** The URL of this database through another address, e.g. a {@link DatabaseProxy}'s. */
  String url(String server) {
    return "jdbc:postgresql://" + server + "/" + name;
  }

  static Connection connect(String database) throws SQLException {
    DriverManager.setLoginTimeout(5);
    return DriverManager.getConnection("jdbc:postgresql://" + SERVER + "/" + database, USER, "");
  }

  /**
   * Items whose journal does not balance: every attempt started must have exactly one outcome
   * (succeeded, or failed, ORPHANED included), and an item succeeds at most once. Returns a
   * description of the first few offenders, empty when all balance.
   */
  String unbalancedAttempts() throws SQLException {
    String sql = """
        SELECT persistence_id,
               SUM(CASE WHEN event_ser_manifest LIKE '%$AttemptStarted' THEN 1 ELSE 0 END) AS started,
               SUM(CASE WHEN event_ser_manifest LIKE '%$Succeeded' THEN 1 ELSE 0 END) AS succeeded,
               SUM(CASE WHEN event_ser_manifest LIKE '%$AttemptFailed' THEN 1 ELSE 0 END) AS failed
        FROM event_journal WHERE persistence_id LIKE 'Item|%' GROUP BY persistence_id
        HAVING SUM(CASE WHEN event_ser_manifest LIKE '%$AttemptStarted' THEN 1 ELSE 0 END)
                 <> SUM(CASE WHEN event_ser_manifest LIKE '%$Succeeded' OR event_ser_manifest LIKE '%$AttemptFailed' THEN 1 ELSE 0 END)
            OR SUM(CASE WHEN event_ser_manifest LIKE '%$Succeeded' THEN 1 ELSE 0 END) > 1
        LIMIT 5""";
    StringBuilder out = new StringBuilder();
    try (Connection c = connect(name); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.append(rs.getString(1)).append(": started ").append(rs.getInt(2)).append(", succeeded ").append(rs.getInt(3))
            .append(", failed ").append(rs.getInt(4)).append("; ");
      }
    }
    return out.toString();
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
