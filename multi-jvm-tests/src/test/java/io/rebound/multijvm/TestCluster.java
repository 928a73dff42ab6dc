package io.rebound.multijvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Up to {@code size} nodes of one cluster on loopback and a fresh PostgreSQL database, with the
 * shipped conf/cluster-postgres.conf plus a test queue and shorter timeouts. The first two nodes
 * are the seeds. Logs: target/nodes/&lt;test&gt;/&lt;node&gt;.log.
 */
final class TestCluster implements AutoCloseable {
  static final Path NODES_DIR = Path.of(System.getProperty("rebound.nodes-dir", "target/nodes"));
  static final Path CLUSTER_CONF = Path.of(System.getProperty("rebound.cluster-conf", "../conf/cluster-postgres.conf"));

  final PgDatabase db;
  final List<NodeProcess> nodes = new ArrayList<>();
  final Path dir;

  TestCluster(String test, int size) throws IOException {
    this(test, size, "");
  }

  /** @param extraConfig more config for every node, after the test's own (e.g. a schedule) */
  TestCluster(String test, int size, String extraConfig) throws IOException {
    this(test, size, extraConfig, freshDatabase(), PgDatabase.SERVER);
  }

  /** A fresh database, once the node jar is known to be there (else it would be left behind). */
  static PgDatabase freshDatabase() {
    assertTrue(Files.isRegularFile(NodeProcess.JAR), "no node jar at " + NodeProcess.JAR.toAbsolutePath() + ": package rebound-server first");
    return PgDatabase.create();
  }

  /**
   * @param db the test's fresh database, which this cluster drops on close
   * @param databaseServer the {@code host:port} the nodes reach PostgreSQL at (a {@link DatabaseProxy}'s address)
   */
  TestCluster(String test, int size, String extraConfig, PgDatabase db, String databaseServer) throws IOException {
    this.db = db;
    this.dir = NODES_DIR.resolve(test);
    Files.createDirectories(dir);
    Path config = dir.resolve("node.conf");
    Files.writeString(config, """
        include file("%s")
        rebound {
          queues.work {
            handler.type = simulated
            concurrency = 16
            # An attempt cut off by a killed node is retried soon after its item restarts elsewhere.
            retry { max-attempts = 5, backoff = exponential, initial = 100ms, max-interval = 1s, jitter = none }
          }
          max-concurrency = 16
          shutdown-timeout = 15s
          retention.enabled = off
          metrics.jmx = off
          metrics.queue-beans = off
        }
        # Down a killed node within seconds rather than the shipped 20s.
        pekko.cluster.split-brain-resolver.stable-after = 3s
        # A coordinator write that times out while nodes are still joining is retried sooner.
        pekko.cluster.sharding.updating-state-timeout = 10s
        # A joining node gets shards within seconds.
        pekko.cluster.sharding.rebalance-interval = 2s
        pekko-persistence-jdbc.shared-databases.rebound.db { numThreads = 4, maxConnections = 4 }
        """.formatted(CLUSTER_CONF.toAbsolutePath().toString().replace("\\", "/")) + extraConfig);
    Map<String, String> env = Map.of("REBOUND_DATABASE_URL", db.url(databaseServer), "REBOUND_DATABASE_USER", PgDatabase.USER);
    Set<Integer> taken = new HashSet<>();
    // A test JVM killed by a timeout must not leave node JVMs running behind it.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> nodes.forEach(NodeProcess::killQuietly)));
    for (int i = 0; i < size; i++) {
      nodes.add(new NodeProcess("node" + i, freePort(taken), freePort(taken), freePort(taken), dir.resolve("node" + i + ".log"), config, env));
    }
  }

  NodeProcess node(int i) {
    return nodes.get(i);
  }

  List<Integer> seeds() {
    return List.of(nodes.get(0).remotePort, nodes.get(1).remotePort);
  }

  void start(int... which) throws IOException {
    for (int i : which) {
      nodes.get(i).start(seeds());
    }
  }

  List<NodeProcess> alive() {
    return nodes.stream().filter(NodeProcess::alive).toList();
  }

  /** Waits until the given nodes are all Up in every one's view, none unreachable, and each is ready. */
  void awaitUp(Duration timeout, int... which) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    for (int i : which) {
      NodeProcess n = nodes.get(i);
      while (true) {
        assertTrue(n.alive(), n + " exited early");
        try {
          Api.Reply members = Api.get(n.management() + "/cluster/members");
          Api.Reply ready = Api.get(n.management() + "/ready");
          if (members.ok() && upCount(members.body()) == which.length && members.body().path("unreachable").isEmpty() && ready.ok()) {
            break;
          }
          last = members.text() + " / ready: " + ready.text();
        } catch (IOException notYet) {
          last = notYet.toString();
        }
        assertTrue(System.nanoTime() < deadline, n + " not up in a cluster of " + which.length + " in time: " + last);
        Thread.sleep(250);
      }
    }
  }

  private static long upCount(JsonNode members) {
    long up = 0;
    for (JsonNode m : members.path("members")) {
      if (m.path("status").asText().equals("Up")) {
        up++;
      }
    }
    return up;
  }

  private static int freePort(Set<Integer> taken) throws IOException {
    while (true) {
      try (ServerSocket s = new ServerSocket(0)) {
        if (taken.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      }
    }
  }

  /** Kills every node still running and drops the database; the logs stay. */
  @Override
  public void close() throws Exception {
    for (NodeProcess n : nodes) {
      if (n.alive()) {
        n.kill();
      }
    }
    db.close();
  }
}
