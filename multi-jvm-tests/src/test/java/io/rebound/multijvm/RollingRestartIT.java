package io.rebound.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Two nodes restarted one after the other (SIGTERM, then started again and ready) while items
 * with 2-second handlers run on both: the handler's own record ({@link ExecutionLog}) shows that
 * no two executions of one item ever ran at once, across the handoffs.
 */
class RollingRestartIT {
  private static final Duration START = Duration.ofSeconds(120);
  private static final String QUEUE = "slow";

  @Test
  void aRollingRestartWithTwoSecondHandlersEndsEveryItemWithNoOverlappingExecutions(TestInfo info) throws Exception {
    String name = info.getTestMethod().orElseThrow().getName();
    PgDatabase db = TestCluster.freshDatabase();
    ExecutionLog executions = new ExecutionLog(Files.createDirectories(TestCluster.NODES_DIR.resolve(name)));
    try (TestCluster cluster = new TestCluster(name, 2, executions.queueConfig(QUEUE, "2", "0123", "", "5m", 16, 10), db, PgDatabase.SERVER)) {
      cluster.start(0, 1);
      cluster.awaitUp(START, 0, 1);

      List<Long> stoppedAt = new ArrayList<>();
      List<String> ids;
      // About 5 items a second, each 2 s: some 10 run at any moment, on both nodes.
      try (Producer producer = new Producer(cluster::alive, QUEUE, 5, Duration.ofSeconds(1))) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (executions.read().size() < 20) {
          assertTrue(System.nanoTime() < deadline, "the handler started only " + executions.read().size() + " items in 60s");
          Thread.sleep(100);
        }
        for (int i = 0; i < 2; i++) {
          NodeProcess n = cluster.node(i);
          stoppedAt.add(ChronoUnit.NANOS.between(Instant.EPOCH, Instant.now()));
          assertEquals(0, n.stop(), n + " did not exit cleanly on SIGTERM");
          cluster.start(i);
          cluster.awaitUp(START, 0, 1);
        }
        ids = producer.finish();
      }
      Map<String, JsonNode> done = Items.awaitTerminal(cluster::alive, ids, Duration.ofSeconds(120));
      assertEquals(Map.of("SUCCEEDED", ids.size()), Items.countByStatus(done));

      Map<String, List<ExecutionLog.Execution>> byItem = executions.assertNoOverlap(ids);
      for (String id : ids) {
        ExecutionLog.assertOneRecordedSuccess(cluster.node(0), id, byItem.get(id));
      }
      for (long stop : stoppedAt) {
        long running = byItem.values().stream().flatMap(List::stream).filter(e -> e.start() < stop && e.end() > stop).count();
        assertTrue(running > 0, "no handler call was running when a node got its SIGTERM");
      }
      assertEquals("", cluster.db.unbalancedAttempts(), "every started attempt has exactly one outcome");
    }
  }
}
