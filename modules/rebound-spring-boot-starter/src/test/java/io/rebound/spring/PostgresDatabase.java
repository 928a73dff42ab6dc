package io.rebound.spring;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh PostgreSQL database per test on {@code REBOUND_TEST_PG} (default 127.0.0.1:5432, user
 * postgres, trust auth), as rebound-core's tests use; the test is skipped, saying so, when none answers.
 */
final class PostgresDatabase implements AutoCloseable {
  static final String SERVER = System.getenv().getOrDefault("REBOUND_TEST_PG", "127.0.0.1:5432");
  static final String USER = System.getenv().getOrDefault("REBOUND_TEST_PG_USER", "postgres");

  private final String name;

  private PostgresDatabase(String name) {
    this.name = name;
  }

  static PostgresDatabase create() {
    String name = "rebound_spring_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = admin(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      assumeTrue(false, "PostgreSQL does not answer at " + SERVER + " as user " + USER
          + " (" + e.getMessage() + "); start it or set REBOUND_TEST_PG to run this test");
    }
    return new PostgresDatabase(name);
  }

  String url() {
    return "jdbc:postgresql://" + SERVER + "/" + name;
  }

  private static Connection admin() throws SQLException {
    DriverManager.setLoginTimeout(5);
    return DriverManager.getConnection("jdbc:postgresql://" + SERVER + "/postgres", USER, "");
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = admin(); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
