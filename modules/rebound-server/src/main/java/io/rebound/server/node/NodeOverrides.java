package io.rebound.server.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.rebound.core.config.ReboundConfigException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The command-line overrides of {@code rebound start}, so that several nodes run from one config
 * file (three on one machine need distinct remoting, HTTP and management ports). Each wins over the
 * config files and the environment.
 */
public final class NodeOverrides {
  /** The actor system's name: part of every seed node address. */
  static final String SYSTEM = io.rebound.core.Rebound.SYSTEM_NAME;

  @Option(names = "--port", paramLabel = "PORT",
      description = "Cluster remoting port (pekko.remote.artery.canonical.port; env REBOUND_REMOTE_PORT in cluster-postgres.conf).")
  Integer remotePort;

  @Option(names = "--hostname", paramLabel = "HOST",
      description = "Host name other nodes reach this one at (pekko.remote.artery.canonical.hostname).")
  String hostname;

  @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP API port (rebound.http.port; env REBOUND_HTTP_PORT).")
  Integer httpPort;

  @Option(names = "--management-port", paramLabel = "PORT",
      description = "Pekko Management port: /ready, /alive, /cluster/members (pekko.management.http.port; env REBOUND_MANAGEMENT_PORT in cluster-postgres.conf).")
  Integer managementPort;

  @Option(names = "--seed", paramLabel = "HOST:PORT",
      description = "A seed node's remoting address; repeat for each (replaces pekko.cluster.seed-nodes).")
  List<String> seeds = new ArrayList<>();

  @Option(names = "--database-url", paramLabel = "JDBC_URL",
      description = "The database, e.g. jdbc:postgresql://127.0.0.1:5432/rebound (rebound.database.url; env REBOUND_DATABASE_URL).")
  String databaseUrl;

  /** These overrides over {@code config}. */
  public Config over(Config config) {
    Config o = ConfigFactory.empty();
    o = set(o, "pekko.remote.artery.canonical.port", port("--port", remotePort));
    o = set(o, "pekko.remote.artery.canonical.hostname", hostname);
    o = set(o, "rebound.http.port", port("--http-port", httpPort));
    o = set(o, "pekko.management.http.port", port("--management-port", managementPort));
    o = set(o, "rebound.database.url", databaseUrl);
    if (!seeds.isEmpty()) {
      o = o.withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds.stream().map(NodeOverrides::seedAddress).toList()));
    }
    return o.withFallback(config);
  }

  /** "host:port" (or a full pekko:// address) as a seed node address. */
  static String seedAddress(String seed) {
    if (seed.startsWith("pekko://")) {
      return seed;
    }
    int colon = seed.lastIndexOf(':');
    if (colon <= 0 || colon == seed.length() - 1 || !seed.substring(colon + 1).chars().allMatch(Character::isDigit)) {
      throw new ReboundConfigException("--seed", "must be HOST:PORT, was '" + seed + "'");
    }
    port("--seed", Integer.parseInt(seed.substring(colon + 1)));
    return "pekko://" + SYSTEM + "@" + seed;
  }

  private static Integer port(String option, Integer port) {
    if (port != null && (port < 0 || port > 65535)) {
      throw new ReboundConfigException(option, "must be between 0 and 65535, was " + port);
    }
    return port;
  }

  private static Config set(Config c, String path, Object value) {
    return value == null ? c : c.withValue(path, ConfigValueFactory.fromAnyRef(value));
  }
}
