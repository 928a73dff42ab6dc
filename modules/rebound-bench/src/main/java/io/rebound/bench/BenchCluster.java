package io.rebound.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.JobHandler;
import io.rebound.core.Rebound;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The nodes a run uses: one embedded node, or several forming one cluster in this JVM on loopback
 * (the first is the seed), sharing the configured database. Enqueues go round-robin over them, as
 * clients spread over a cluster's nodes would.
 */
final class BenchCluster implements AutoCloseable {
  /** Rebound's tables, emptied before each run on a shared database. */
  private static final List<String> TABLES = List.of("event_tag", "event_journal", "snapshot", "rebound_item",
      "rebound_item_count", "rebound_parked", "pekko_projection_offset_store", "pekko_projection_management");

  private final List<Rebound> nodes;
  private final AtomicInteger next = new AtomicInteger();

  private BenchCluster(List<Rebound> nodes) {
    this.nodes = nodes;
  }

  static BenchCluster start(int count, Config config, Map<String, JobHandler> handlers) {
    if (count == 1) {
      return new BenchCluster(List.of(Rebound.start(config, handlers)));
    }
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ports.add(freePort());
    }
    List<Rebound> started = new ArrayList<>();
    try {
      for (int port : ports) {
        Config member = ConfigFactory.parseString("""
            pekko.remote.artery.canonical.port = %d
            pekko.cluster.seed-nodes = ["pekko://rebound@127.0.0.1:%d"]
            rebound.metrics.jmx = off
            rebound.metrics.queue-beans = off
            """.formatted(port, ports.get(0))).withFallback(config);
        started.add(Rebound.start(member, handlers));
      }
    } catch (RuntimeException e) {
      started.forEach(Rebound::close);
      throw e;
    }
    return new BenchCluster(List.copyOf(started));
  }

  Rebound first() {
    return nodes.get(0);
  }

  List<Rebound> all() {
    return nodes;
  }

  /** The next node, round-robin. */
  Rebound next() {
    return nodes.get(Math.floorMod(next.getAndIncrement(), nodes.size()));
  }

  /** Empties Rebound's tables (those that exist), so that each run starts from nothing. */
  static void emptyTables(String url, String user) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, user, ""); Statement st = c.createStatement()) {
      boolean journal = false;
      for (String table : TABLES) {
        try (ResultSet rs = c.getMetaData().getTables(null, null, table, null)) {
          if (rs.next()) {
            st.execute("DELETE FROM " + table);
            journal |= table.equals("event_journal");
          }
        }
      }
      if (journal && url.startsWith("jdbc:postgresql:")) {
        // As a fresh database (an H2 run's is one): orderings from 1 again. A journal that starts
        // above 1 looks to the read journal like orderings still being written, and it waits
        // (max-tries x query-delay, 10 s) before the index sees anything: a run's lag would be that wait.
        st.execute("SELECT setval(pg_get_serial_sequence('event_journal', 'ordering'), 1, false)");
      }
    }
  }

  /** The later nodes first, so that the seed leaves last. */
  @Override
  public void close() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
