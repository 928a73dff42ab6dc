package io.rebound.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
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
 * Two nodes lose PostgreSQL for 20 s in the middle of a run: a {@link DatabaseProxy} between them
 * and the server drops every connection and refuses new ones. The items' handler records each
 * call ({@link ExecutionLog}), so the test sees what ran, not only what the journal says.
 */
class DatabaseOutageIT {
  private static final Duration START = Duration.ofSeconds(120);
  private static final Duration CUT = Duration.ofSeconds(20);
  private static final String QUEUE = "recorded";
  private static final int ITEMS = 300;
  /** The first character of the ids whose first handler call hangs. */
  private static final String HANGS = "4";

  @Test
  void aTwentySecondDatabaseCutEndsEveryItemOnceWithNoOverlappingExecutionsWhileNodesStayAlive(TestInfo info) throws Exception {
    String name = info.getTestMethod().orElseThrow().getName();
    PgDatabase db = TestCluster.freshDatabase();
    ExecutionLog executions = new ExecutionLog(Files.createDirectories(TestCluster.NODES_DIR.resolve(name)));
    // 1 s handlers, 16 at once per node: the run lasts about 12 s without the cut. A quarter of
    // the items fail once, so that some wait for their retry when the database goes; a sixteenth
    // hang once, until their 4 s attempt timeout has them killed, some of them during the cut.
    String queue = executions.queueConfig(QUEUE, "1", "0123", HANGS, "4s", 16, 10);
    try (DatabaseProxy proxy = new DatabaseProxy(PgDatabase.SERVER);
        TestCluster cluster = new TestCluster(name, 2, queue, db, proxy.address())) {
      cluster.start(0, 1);
      cluster.awaitUp(START, 0, 1);

      List<String> ids = Items.enqueue(cluster::alive, QUEUE, 0, ITEMS, Duration.ofSeconds(60));
      // Cut once items have succeeded, some wait for their retry (3 s after a failed first call)
      // and some hang, so that their attempt times out during the cut.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (ended(executions) < 40 || waitingForRetry(executions) == 0 || hanging(executions) == 0) {
        assertTrue(System.nanoTime() < deadline, "the handler finished only " + ended(executions) + " calls in 60s, "
            + waitingForRetry(executions) + " items wait for a retry, " + hanging(executions) + " hang");
        Thread.sleep(100);
      }

      long cutAt = ChronoUnit.NANOS.between(Instant.EPOCH, Instant.now()); // the handler's clock
      proxy.cut();
      List<Health> health = new ArrayList<>();
      for (NodeProcess n : cluster.nodes) {
        health.add(new Health(n));
      }
      long until = System.nanoTime() + CUT.toNanos();
      while (System.nanoTime() < until) {
        for (Health h : health) {
          h.poll();
        }
        Thread.sleep(250);
      }
      proxy.restore();
      long restoredAt = ChronoUnit.NANOS.between(Instant.EPOCH, Instant.now());

      for (Health h : health) {
        assertTrue(h.aliveFailures.isEmpty(), h.node.name + ": /alive failed during the cut: " + h.aliveFailures);
        assertTrue(h.readyDown > 0, h.node.name + ": /ready never went down during the cut (" + h.polls + " polls)");
      }
      Map<String, JsonNode> done = Items.awaitTerminal(cluster::alive, ids, Duration.ofSeconds(120));
      assertEquals(Map.of("SUCCEEDED", ITEMS), Items.countByStatus(done));

      Map<String, List<ExecutionLog.Execution>> byItem = executions.assertNoOverlap(ids);
      for (String id : ids) {
        ExecutionLog.assertOneRecordedSuccess(cluster.node(0), id, byItem.get(id));
      }
      long runningAtCut = byItem.values().stream().flatMap(List::stream).filter(e -> e.start() < cutAt && e.end() > cutAt).count();
      assertTrue(runningAtCut > 0, "no handler call was running when the database went away");
      long notStartedAtCut = ids.stream().filter(id -> byItem.get(id).get(0).start() > cutAt).count();
      assertTrue(notStartedAtCut > 0, "every item had started before the cut");
      long retriedAcrossCut = byItem.values().stream().filter(l -> l.get(0).how().equals("failed") && l.get(0).end() < cutAt && l.get(1).start() > cutAt).count();
      assertTrue(retriedAcrossCut > 0, "no item was waiting for its retry when the database went away");
      long killedDuringCut = byItem.values().stream().flatMap(List::stream)
          .filter(e -> e.how().equals("killed") && e.end() > cutAt && e.end() < restoredAt).count();
      assertTrue(killedDuringCut > 0, "no attempt timed out (and had its handler killed) during the cut");
      assertEquals("", cluster.db.unbalancedAttempts(), "every started attempt has exactly one outcome");
    }
  }

  private static long ended(ExecutionLog log) throws IOException {
    return log.read().values().stream().flatMap(List::stream).filter(ExecutionLog.Execution::ended).count();
  }

  /** Items whose last handler call failed as told, with no call after it yet. */
  private static long waitingForRetry(ExecutionLog log) throws IOException {
    return log.read().values().stream().filter(l -> l.get(l.size() - 1).how().equals("failed")).count();
  }

  /** Handler calls told to hang that run now (started less than the attempt timeout ago, as a rule). */
  private static long hanging(ExecutionLog log) throws IOException {
    return log.read().values().stream().flatMap(List::stream)
        .filter(e -> e.item().startsWith(HANGS) && e.execution() == 1 && !e.ended()).count();
  }

  /** What a node's /alive and /ready answered during the cut. */
  private static final class Health {
    final NodeProcess node;
    final List<String> aliveFailures = new ArrayList<>();
    int readyDown;
    int polls;

    Health(NodeProcess node) {
      this.node = node;
    }

    void poll() throws InterruptedException {
      polls++;
      try {
        Api.Reply alive = Api.get(node.management() + "/alive", Duration.ofSeconds(3));
        if (!alive.ok()) {
          aliveFailures.add(alive.status() + " " + alive.text());
        }
      } catch (IOException e) {
        aliveFailures.add(e.toString());
      }
      try {
        if (!Api.get(node.management() + "/ready", Duration.ofSeconds(3)).ok()) {
          readyDown++;
        }
      } catch (IOException e) {
        readyDown++;
      }
    }
  }
}
