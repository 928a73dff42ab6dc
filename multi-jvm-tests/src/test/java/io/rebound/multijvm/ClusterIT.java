package io.rebound.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Real node JVMs on loopback against one PostgreSQL database, driven through their HTTP API:
 * nodes join, leave, restart and die, and no item is lost or run twice. Logs of every node are in
 * target/nodes/&lt;test&gt;/.
 */
class ClusterIT {
  private static final Duration START = Duration.ofSeconds(120);
  private static final Duration DRAIN = Duration.ofSeconds(240);

  private static String name(TestInfo info) {
    return info.getTestMethod().orElseThrow().getName();
  }

  private static List<String> enqueue(TestCluster cluster, int items, int batch) throws InterruptedException {
    List<String> ids = new ArrayList<>();
    for (int from = 0; from < items; from += batch) {
      ids.addAll(Items.enqueue(cluster::alive, from, Math.min(items, from + batch), Duration.ofSeconds(90)));
    }
    return ids;
  }

  private static void assertAllSucceeded(Map<String, JsonNode> done, int expected) {
    assertEquals(expected, done.size());
    assertEquals(Map.of("SUCCEEDED", expected), Items.countByStatus(done));
  }

  @Test
  void threeNodesFormAClusterAndEachProcessesWork(TestInfo info) throws Exception {
    try (TestCluster cluster = new TestCluster(name(info), 3)) {
      cluster.start(0, 1, 2);
      cluster.awaitUp(START, 0, 1, 2);

      List<String> ids = enqueue(cluster, 600, 200);
      Map<String, JsonNode> done = Items.awaitTerminal(cluster::alive, ids, DRAIN);

      assertAllSucceeded(done, 600);
      for (NodeProcess n : cluster.nodes) {
        assertTrue(n.processed() > 0, n + " processed no item: work goes where the item's shard lives");
      }
      assertEquals("", cluster.db.unbalancedAttempts());
    }
  }

  @Test
  void aNodeKilledMidRunLosesNoItemAndItsRunningAttemptsEndOrphaned(TestInfo info) throws Exception {
    try (TestCluster cluster = new TestCluster(name(info), 3)) {
      cluster.start(0, 1, 2);
      cluster.awaitUp(START, 0, 1, 2);
      NodeProcess victim = cluster.node(2);

      List<String> ids = enqueue(cluster, 5000, 500);
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (victim.processed() < 200) {
        assertTrue(System.nanoTime() < deadline, victim + " did not start processing");
        Thread.sleep(100);
      }
      victim.kill(); // SIGKILL, with attempts running on it
      Map<String, JsonNode> done = Items.awaitTerminal(cluster::alive, ids, DRAIN);

      assertAllSucceeded(done, 5000);
      // The handler never fails here: an item ran more than once only because its node died under it.
      List<String> orphaned = done.values().stream().filter(v -> v.path("attempts").asInt() > 1).map(v -> v.path("id").asText()).toList();
      assertTrue(!orphaned.isEmpty(), "no attempt was cut off by the kill");
      for (String id : orphaned.subList(0, Math.min(50, orphaned.size()))) {
        List<String> kinds = Items.failureKinds(cluster.node(0), id);
        assertTrue(!kinds.isEmpty() && kinds.stream().allMatch("ORPHANED"::equals), id + " failed with " + kinds);
      }
      assertEquals("", cluster.db.unbalancedAttempts(), "every started attempt has exactly one outcome");
      cluster.awaitUp(Duration.ofSeconds(60), 0, 1); // the killed node was downed and removed
    }
  }

  @Test
  void aRollingRestartOfEveryNodeUnderLoadLosesNothing(TestInfo info) throws Exception {
    try (TestCluster cluster = new TestCluster(name(info), 3)) {
      cluster.start(0, 1, 2);
      cluster.awaitUp(START, 0, 1, 2);

      List<String> ids;
      try (Producer producer = new Producer(cluster::alive, 100, Duration.ofMillis(100))) {
        for (int i = 0; i < 3; i++) {
          NodeProcess n = cluster.node(i);
          assertEquals(0, n.stop(), n + " did not exit cleanly on SIGTERM");
          cluster.start(i);
          cluster.awaitUp(START, 0, 1, 2);
        }
        ids = producer.finish();
      }
      assertTrue(ids.size() >= 500, "only " + ids.size() + " items were enqueued during the restarts");
      Map<String, JsonNode> done = Items.awaitTerminal(cluster::alive, ids, DRAIN);

      assertAllSucceeded(done, ids.size());
      assertEquals("", cluster.db.unbalancedAttempts(), "every started attempt has exactly one outcome");
    }
  }

  @Test
  void aNodeJoiningMidRunTakesShardsAndWork(TestInfo info) throws Exception {
    try (TestCluster cluster = new TestCluster(name(info), 3)) {
      cluster.start(0, 1);
      cluster.awaitUp(START, 0, 1);
      NodeProcess joiner = cluster.node(2);

      List<String> ids;
      try (Producer producer = new Producer(cluster::alive, 100, Duration.ofMillis(100))) {
        long loaded = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (producer.enqueued() < 1000) {
          assertTrue(System.nanoTime() < loaded, "only " + producer.enqueued() + " items enqueued in 120s");
          Thread.sleep(100);
        }
        cluster.start(2);
        cluster.awaitUp(START, 0, 1, 2);
        // Shards move to the new node at the coordinator's next rebalance; it then runs their items.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (joiner.processed() == 0) {
          assertTrue(System.nanoTime() < deadline, joiner + " took no work within 60s of joining");
          Thread.sleep(200);
        }
        ids = producer.finish();
      }
      Map<String, JsonNode> done = Items.awaitTerminal(cluster::alive, ids, DRAIN);

      assertAllSucceeded(done, ids.size());
      assertTrue(joiner.processed() > 0);
      assertEquals("", cluster.db.unbalancedAttempts(), "every started attempt has exactly one outcome");
    }
  }
}
