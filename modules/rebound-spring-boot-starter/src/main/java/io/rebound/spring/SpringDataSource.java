package io.rebound.spring;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.rebound.core.Rebound;

/**
 * Points Rebound at the app's PostgreSQL database: the URL, user and password of Spring's {@code
 * JdbcConnectionDetails} (from {@code spring.datasource.*}, or a Testcontainers / Docker Compose
 * service connection). Rebound opens its own pools on them (the journal's, the index's): its
 * persistence plugin and projections take a URL, not a DataSource.
 *
 * <p>Only PostgreSQL: an app's H2 is usually in memory, which Rebound cannot share across its
 * pools. An explicit {@code rebound.database.url} (or {@code REBOUND_DATABASE_URL}) always wins.
 */
final class SpringDataSource {
  static final String POSTGRES = "jdbc:postgresql:";

  private SpringDataSource() {}

  /** The config, with the app's database as Rebound's where it is PostgreSQL and Rebound's is not set. */
  static Config apply(Config config, String url, String user, String password) {
    if (url == null || !url.startsWith(POSTGRES)) {
      return config;
    }
    if (!Rebound.withDefaults(config).getString("rebound.database.url").isBlank()) {
      return config;
    }
    String origin = "the app's DataSource (JdbcConnectionDetails)";
    Config out = config.withValue("rebound.database.url", ConfigValueFactory.fromAnyRef(url, origin));
    if (user != null) {
      out = out.withValue("rebound.database.user", ConfigValueFactory.fromAnyRef(user, origin));
    }
    if (password != null) {
      out = out.withValue("rebound.database.password", ConfigValueFactory.fromAnyRef(password, origin));
    }
    return out;
  }
}
