package io.rebound.core.index;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemStatus;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertsTest {
  private static final String QUEUES = """
      rebound.queues.work {
        handler.type = simulated
        concurrency = 16
        retry { max-attempts = 2, initial = 10ms, max-interval = 20ms, jitter = none }
      }
      rebound.queues.healthy { handler.type = simulated }
      rebound.queues.held { handler.type = simulated }
      rebound.queues.slow {
        handler.type = simulated
        retry { max-attempts = 3, initial = 10ms, jitter = none }
      }
      rebound.index.group-within = 50ms
      jdbc-read-journal.refresh-interval = 200ms
      rebound.alerts { stall-after = 1s, stuck-waiting-after = 1s, min-sample = 10, depth-growing-samples = 3 }
      """;

  @TempDir Path dir;

  private static String enqueue(Rebound node, String queue, String payload) {
    return await(node.enqueue(queue, EnqueueRequest.builder(payload).build())).item().id();
  }

  /** Polls the report until it satisfies the condition. */
  private static Alerts.Report awaitReport(Rebound node, Predicate<Alerts.Report> condition) throws InterruptedException {
    try {
      return Awaitility.await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
          .until(() -> await(node.alerts()), condition::test);
    } catch (ConditionTimeoutException e) {
      // The callers assert on the report, which says what is missing.
      return await(node.alerts());
    }
  }

  private static boolean has(Alerts.Report r, String type, String queue) {
    return r.alerts().stream().anyMatch(a -> a.type().equals(type) && a.queue().equals(queue));
  }

  private static boolean has(Alerts.Report r, String type, String queue, long count) {
    return r.alerts().stream().anyMatch(a -> a.type().equals(type) && a.queue().equals(queue) && a.count() == count);
  }

  @Test
  void reportsFailureRateExhaustedAttemptsStalledQueuesAndStuckItems() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, QUEUES))) {
      // work: 20 succeed, 10 fail permanently, 10 run out of their 2 attempts.
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        ids.add(enqueue(node, "work", i % 4 < 2 ? "{}" : i % 4 == 2 ? "{\"fail\":1,\"kind\":\"PERMANENT\"}" : "{\"fail\":5}"));
      }
      // healthy: every item succeeds.
      for (int i = 0; i < 20; i++) {
        ids.add(enqueue(node, "healthy", "{}"));
      }
      TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(60));
      // held: paused, so its items stay due and nothing of it moves.
      node.pause("held");
      enqueue(node, "held", "{}");
      enqueue(node, "held", "{}");
      // slow: its first attempt fails while the queue gets paused, so the item stays WAITING past due.
      String waiting = enqueue(node, "slow", "{\"fail\":1,\"ms\":300}");
      Awaitility.await("the slow item running").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
          .until(() -> await(node.status(waiting)).orElseThrow().status() == ItemStatus.RUNNING);
      node.pause("slow");

      Alerts.Report r = awaitReport(node, x -> has(x, "no-progress", "held", 2) && !x.stuck().isEmpty()
          && has(x, "failure-rate", "work") && has(x, "attempts-exhausted", "work"));
      Alerts.Alert rate = r.alerts().stream().filter(a -> a.type().equals("failure-rate")).findFirst().orElseThrow();
      assertEquals(20, rate.count(), rate.toString());
      Alerts.Alert exhausted = r.alerts().stream().filter(a -> a.type().equals("attempts-exhausted")).findFirst().orElseThrow();
      assertEquals(10, exhausted.count(), "permanent failures are not exhausted attempts: " + exhausted);
      // The paused slow queue has due work too: its WAITING item.
      assertTrue(has(r, "no-progress", "slow", 1), r.toString());
      assertFalse(r.alerts().stream().anyMatch(a -> a.queue().equals("healthy")), r.toString());
      assertEquals(1, r.stuck().size(), r.toString());
      assertEquals(waiting, r.stuck().get(0).item().id());
      assertEquals(ItemStatus.WAITING, r.stuck().get(0).item().status());

      // Resumed, the queues move again and their alerts clear.
      node.resume("held");
      node.resume("slow");
      Alerts.Report after = awaitReport(node, x -> !has(x, "no-progress", "held") && x.stuck().isEmpty());
      assertFalse(has(after, "no-progress", "held"), after.toString());
      assertTrue(after.stuck().isEmpty(), after.toString());
    }
  }

  @Test
  void depthGrowingNeedsEverySampleHigherThanTheOneBefore() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, QUEUES))) {
      IndexSettings.AlertSettings settings = IndexSettings.from(Rebound.withDefaults(TestNodes.config(dir, QUEUES))).alerts();
      Alerts alerts = new Alerts(node.index(), node.queues(), settings, Clock.systemUTC());
      alerts.sample(Map.of("work", Map.of(ItemStatus.PENDING, 5L, ItemStatus.SUCCEEDED, 100L)));
      alerts.sample(Map.of("work", Map.of(ItemStatus.PENDING, 6L, ItemStatus.SUCCEEDED, 1L)));
      assertFalse(has(await(alerts.report()), "depth-growing", "work"), "two samples are not enough");
      alerts.sample(Map.of("work", Map.of(ItemStatus.PENDING, 6L, ItemStatus.WAITING, 3L)));
      Alerts.Report r = await(alerts.report());
      assertTrue(has(r, "depth-growing", "work"), r.toString());
      assertEquals(9, r.alerts().stream().filter(a -> a.type().equals("depth-growing")).findFirst().orElseThrow().count());
      alerts.sample(Map.of("work", Map.of(ItemStatus.PENDING, 9L)));
      assertFalse(has(await(alerts.report()), "depth-growing", "work"), "a flat sample ends the growth");
    }
  }

  @Test
  void aReadSideFurtherBehindThanIndexLagAfterAlertsForTheWholeNode() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, QUEUES))) {
      IndexSettings.AlertSettings settings = IndexSettings.from(Rebound.withDefaults(TestNodes.config(dir, QUEUES))).alerts();
      java.util.concurrent.atomic.AtomicReference<java.time.Duration> lag = new java.util.concurrent.atomic.AtomicReference<>(java.time.Duration.ofSeconds(2));
      Alerts alerts = new Alerts(node.index(), node.queues(), settings, Clock.systemUTC(), new ProjectionHealth(), lag::get);
      assertTrue(await(alerts.report()).alerts().stream().noneMatch(a -> a.type().equals("index-lag")));
      lag.set(settings.indexLagAfter().plusSeconds(1));
      Alerts.Alert a = await(alerts.report()).alerts().stream().filter(x -> x.type().equals("index-lag")).findFirst().orElseThrow();
      assertEquals(null, a.queue());
      assertEquals(settings.indexLagAfter().toSeconds() + 1, a.count());
    }
  }
}
