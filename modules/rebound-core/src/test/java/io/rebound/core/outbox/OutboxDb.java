package io.rebound.core.outbox;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.PostgresTestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** The database an outbox test runs on: an H2 file under a temp dir, or a fresh PostgreSQL database. */
abstract class OutboxDb implements AutoCloseable {
  /** The node's config over this database, below {@code extra}. */
  abstract Config config(String extra);

  abstract String url();

  abstract String user();

  Connection connect() throws SQLException {
    return DriverManager.getConnection(url(), user(), "");
  }

  @Override
  public void close() throws Exception {}

  static OutboxDb h2(Path dir) {
    String dataDir = dir.toString().replace("\\", "/");
    return new OutboxDb() {
      @Override
      Config config(String extra) {
        return ConfigFactory.parseString(extra + "\nrebound.data-dir = \"" + dataDir + "\"\n");
      }

      @Override
      String url() {
        // As ReboundSettings.effectiveDatabaseUrl builds it: the same in-process H2 database as the node's.
        return "jdbc:h2:file:" + dir.resolve("rebound")
            + ";DATABASE_TO_UPPER=false;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE;CACHE_SIZE=131072;MAX_LENGTH_INPLACE_LOB=8192";
      }

      @Override
      String user() {
        return "sa";
      }
    };
  }

  /** Skips the test, saying why, when no PostgreSQL answers. */
  static OutboxDb postgres(Path dir) {
    PostgresTestDatabase pg = PostgresTestDatabase.create();
    String dataDir = dir.toString().replace("\\", "/");
    return new OutboxDb() {
      @Override
      Config config(String extra) {
        return ConfigFactory.parseString(extra + "\nrebound.data-dir = \"" + dataDir + "\"\n" + pg.config());
      }

      @Override
      String url() {
        return pg.url();
      }

      @Override
      String user() {
        return PostgresTestDatabase.USER;
      }

      @Override
      public void close() throws Exception {
        pg.close();
      }
    };
  }
}
