package io.rebound.core;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh PostgreSQL database per test, on the server at {@code REBOUND_TEST_PG} (default
 * 127.0.0.1:5432, user postgres, trust auth). Tests that need one are skipped, with a message
 * saying so, when no server answers.
 */
public final class PostgresTestDatabase implements AutoCloseable {
  /** host:port of the server. */
  public static final String SERVER = System.getenv().getOrDefault("REBOUND_TEST_PG", "127.0.0.1:5432");
  public static final String USER = System.getenv().getOrDefault("REBOUND_TEST_PG_USER", "postgres");

  private final String name;

  private PostgresTestDatabase(String name) {
    this.name = name;
  }

  /** Creates an empty database, or skips the test when PostgreSQL does not answer. */
  public static PostgresTestDatabase create() {
    String name = "rebound_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = admin(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      assumeTrue(false, "PostgreSQL does not answer at " + SERVER + " as user " + USER
          + " (" + e.getMessage() + "); start it or set REBOUND_TEST_PG to run this test");
    }
    return new PostgresTestDatabase(name);
  }

  public String url() {
    return "jdbc:postgresql://" + SERVER + "/" + name;
  }

  /** HOCON pointing a node at this database. */
  public String config() {
    return "rebound.database { url = \"" + url() + "\", user = \"" + USER + "\", password = \"\" }\n";
  }

  private static Connection admin() throws SQLException {
    DriverManager.setLoginTimeout(5);
    return DriverManager.getConnection("jdbc:postgresql://" + SERVER + "/postgres", USER, "");
  }

  /** Drops the database (its sessions are gone once the node has stopped). */
  @Override
  public void close() throws SQLException {
    try (Connection c = admin(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
