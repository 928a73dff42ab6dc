package io.rebound.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.config.ReboundSettings;
import io.rebound.core.storage.Schema;
import java.sql.SQLException;
import java.util.Map;

/** The database a node uses (H2 or PostgreSQL, from the URL) and the Pekko settings that follow from it. */
record Database(String url, String user, String password, Schema.Dialect dialect) {

  static Database of(ReboundSettings settings, Config resolved) {
    String url = settings.effectiveDatabaseUrl();
    Schema.Dialect dialect;
    try {
      dialect = Schema.Dialect.of(url);
    } catch (IllegalArgumentException e) {
      throw new ReboundConfigException("rebound.database.url", e.getMessage());
    }
    return new Database(url, resolved.getString("rebound.database.user"), resolved.getString("rebound.database.password"), dialect);
  }

  /** The journal and snapshot tables, created when missing. */
  void ensureJournal() {
    try {
      Schema.ensure(url, user, password);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot open the database at " + url + ": " + e.getMessage(), e);
    }
  }

  Schema.Lock lock() throws SQLException {
    return Schema.lock(url, user, password);
  }

  /** The journal's shared database and the projections' dialect, set from the URL. */
  Config pekkoConfig() {
    return ConfigFactory.parseMap(Map.of(
        "pekko-persistence-jdbc.shared-databases.rebound.db.url", url,
        "pekko-persistence-jdbc.shared-databases.rebound.db.driver", dialect.driver,
        "pekko-persistence-jdbc.shared-databases.rebound.profile", dialect.slickProfile,
        "pekko.projection.jdbc.dialect", dialect == Schema.Dialect.H2 ? "h2-dialect" : "postgres-dialect"));
  }
}
