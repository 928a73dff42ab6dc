package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.core.metrics.MetricsSnapshot;
import io.rebound.core.metrics.Outcome;
import io.rebound.core.metrics.PrometheusText;
import io.rebound.core.metrics.QueueFigures;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real node's metrics: Prometheus text, the JSON figures and the queue MBean. */
class MetricsEndToEndTest {
  private static final String QUEUES = """
      rebound.queues.work {
        handler.type = simulated
        concurrency = 8
        retry { max-attempts = 3, initial = 10ms, max-interval = 50ms, jitter = none }
      }
      rebound.queues.idle { handler.type = simulated }
      """;
  private static final Map<String, String> SUCCEEDED = Map.of("queue", "work", "outcome", "succeeded");
  private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();

  @TempDir Path dir;

  /** Items 0,1 of every 4 succeed, 2 fails once (transient) and then succeeds, 3 fails for good. */
  private static List<String> enqueueMixed(Rebound node, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String payload = switch (i % 4) {
        case 2 -> "{\"fail\":1,\"kind\":\"TRANSIENT\"}";
        case 3 -> "{\"fail\":1,\"kind\":\"PERMANENT\"}";
        default -> "{}";
      };
      ids.add(await(node.enqueue("work", EnqueueRequest.builder(payload).build())).item().id());
    }
    return ids;
  }

  /** Transitions reach the Metrics actor after the items answer: wait until it has seen them. */
  private static void eventually(String what, BooleanSupplier condition) {
    Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
        .until(condition::getAsBoolean);
  }

  @Test
  void prometheusTextParsesAndCountersMove() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, QUEUES))) {
      PrometheusText before = PrometheusText.parse(node.metrics().scrape());
      assertEquals(0.0, before.value("rebound_items_total", SUCCEEDED).orElseThrow());

      TestNodes.awaitTerminal(node, enqueueMixed(node, 40), Duration.ofSeconds(60));
      eventually("20 dead letters and successes counted", () -> {
        QueueFigures w = await(node.metrics().snapshot()).queue("work");
        return w.count(Outcome.SUCCEEDED) == 30 && w.count(Outcome.DEAD_LETTERED) == 10;
      });

      String text = node.metrics().scrape();
      PrometheusText after = PrometheusText.parse(text);
      assertEquals(30.0, after.value("rebound_items_total", SUCCEEDED).orElseThrow());
      assertEquals(40.0, after.value("rebound_items_total", Map.of("queue", "work", "outcome", "enqueued")).orElseThrow());
      assertEquals(10.0, after.value("rebound_items_total", Map.of("queue", "work", "outcome", "failed")).orElseThrow());
      assertEquals(10.0, after.value("rebound_items_total", Map.of("queue", "work", "outcome", "dead_lettered")).orElseThrow());
      assertEquals(10.0, after.value("rebound_attempt_failures_total", Map.of("queue", "work", "kind", "transient")).orElseThrow());
      assertEquals(10.0, after.value("rebound_attempt_failures_total", Map.of("queue", "work", "kind", "permanent")).orElseThrow());
      // Every attempt was timed: 40 first attempts and 10 retries.
      assertEquals(50.0, after.value("rebound_attempt_duration_seconds_count", Map.of("queue", "work")).orElseThrow());
      assertEquals(40.0, after.value("rebound_item_lifetime_seconds_count", Map.of("queue", "work")).orElseThrow());
      assertTrue(text.contains("# TYPE rebound_queue_depth gauge"), "depth gauges are exposed");
      assertTrue(text.contains("rebound_items_per_second{queue=\"work\",window=\"1m\"}"), "rate gauges are exposed");
      assertEquals(0.0, after.value("rebound_items_total", Map.of("queue", "idle", "outcome", "succeeded")).orElseThrow());

      TestNodes.awaitTerminal(node, enqueueMixed(node, 4), Duration.ofSeconds(60));
      eventually("33 successes in the scrape", () ->
          PrometheusText.parse(node.metrics().scrape()).value("rebound_items_total", SUCCEEDED).orElseThrow() == 33.0);

      MetricsSnapshot s = await(node.metrics().snapshot());
      assertEquals(11, s.total().count(Outcome.DEAD_LETTERED));
      assertEquals(Map.of(ErrorKind.TRANSIENT, 11L, ErrorKind.PERMANENT, 11L), s.total().errorsByKind());
      assertTrue(s.recentFailures().stream().anyMatch(f -> f.kind() == ErrorKind.PERMANENT
          && f.message().contains("simulated permanent failure")), String.valueOf(s.recentFailures()));
      assertEquals(55, s.total().attempts(), "44 first attempts and 11 retries, each timed");
    }
  }

  @Test
  void queueMBeanIsVisibleOnThePlatformServerAndPausesTheQueue() throws Exception {
    ObjectName name = new ObjectName("io.rebound:type=Queue,name=work");
    try (Rebound node = Rebound.start(TestNodes.config(dir, QUEUES))) {
      assertTrue(JMX.isRegistered(name));
      assertTrue(JMX.isRegistered(new ObjectName("io.rebound:type=Queue,name=idle")));
      assertFalse(JMX.queryNames(new ObjectName("io.rebound.metrics:*"), null).isEmpty(), "the JmxMeterRegistry's beans");

      TestNodes.awaitTerminal(node, enqueueMixed(node, 8), Duration.ofSeconds(60));
      // The bean reads the snapshot the actor publishes every second.
      eventually("4 failed attempts on the bean", () -> attribute(name, "Failures").equals(4L));
      assertEquals(0L, attribute(name, "Depth"), "no read side yet: depth is 0");
      assertTrue(attribute(name, "ItemsPerSecond5m") instanceof Double);
      assertEquals(false, attribute(name, "Paused"));

      JMX.invoke(name, "pause", new Object[0], new String[0]);
      eventually("the dispatcher pauses the queue", () -> await(node.dispatcherStats()).queues().get("work").paused());
      assertEquals(true, attribute(name, "Paused"));
      assertFalse(await(node.dispatcherStats()).queues().get("idle").paused(), "only its own queue");

      JMX.invoke(name, "resume", new Object[0], new String[0]);
      eventually("the dispatcher resumes the queue", () -> !await(node.dispatcherStats()).queues().get("work").paused());
      assertEquals(false, attribute(name, "Paused"));
    }
    assertFalse(JMX.isRegistered(name), "unregistered at shutdown");
  }

  @Test
  void aNewerNodeTakesTheBeanOverAndTheOlderLeavesItAlone() throws Exception {
    ObjectName name = new ObjectName("io.rebound:type=Queue,name=work");
    Rebound first = Rebound.start(TestNodes.config(dir.resolve("a"), QUEUES));
    try (Rebound second = Rebound.start(TestNodes.config(dir.resolve("b"), QUEUES))) {
      Object owner = attribute(name, "Node");
      first.close();
      assertTrue(JMX.isRegistered(name), "the older node left the newer node's bean");
      assertEquals(owner, attribute(name, "Node"));
      long uid = org.apache.pekko.cluster.typed.Cluster.get(second.system()).selfMember().uniqueAddress().longUid();
      assertTrue(String.valueOf(owner).endsWith("#" + uid), String.valueOf(owner));
    } finally {
      first.close();
    }
    assertFalse(JMX.isRegistered(name));
    assertThrows(javax.management.InstanceNotFoundException.class, () -> JMX.getAttribute(name, "Depth"));
  }

  private static Object attribute(ObjectName name, String attribute) {
    try {
      return JMX.getAttribute(name, attribute);
    } catch (Exception e) {
      throw new AssertionError("cannot read " + attribute + " of " + name, e);
    }
  }
}
