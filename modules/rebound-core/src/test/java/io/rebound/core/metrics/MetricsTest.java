package io.rebound.core.metrics;

import static io.rebound.core.item.ItemStatus.CANCELLED;
import static io.rebound.core.item.ItemStatus.DEAD_LETTERED;
import static io.rebound.core.item.ItemStatus.PARKED;
import static io.rebound.core.item.ItemStatus.PENDING;
import static io.rebound.core.item.ItemStatus.RUNNING;
import static io.rebound.core.item.ItemStatus.SUCCEEDED;
import static io.rebound.core.item.ItemStatus.WAITING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemTransition;
import io.rebound.core.item.ItemTransition.Cause;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Metrics actor fed with transitions directly: what it counts, times and lists. Time is a
 * clock the test moves, so rates are exact; the actor answers in message order, so a snapshot
 * asked after the transitions sees all of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsTest {
  @RegisterExtension static final TestKitJUnit5Extension extension = new TestKitJUnit5Extension();

  @JUnit5TestKit final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
  private static final MetricsSettings SETTINGS = new MetricsSettings(Duration.ofMinutes(10), false, false, 3, "test");

  /** A clock the test sets. */
  private static final class TestClock extends Clock {
    volatile Instant now = T0;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** One Metrics actor with its own registry and clock. */
  private final class Node {
    final MeterRegistry registry = new SimpleMeterRegistry();
    final TestClock clock = new TestClock();
    final AtomicReference<MetricsSnapshot> published = new AtomicReference<>();
    final ActorRef<Metrics.Command> metrics;
    final TestProbe<MetricsSnapshot> probe = testKit.createTestProbe();

    Node(MetricsSettings settings, DepthSource depth) {
      metrics = testKit.spawn(Metrics.create(registry, List.of("q"), depth, settings, clock, published));
    }

    Node() {
      this(SETTINGS, DepthSource.NONE);
    }

    void see(ItemTransition... ts) {
      for (ItemTransition t : ts) {
        metrics.tell(new Metrics.Observed(t));
      }
    }

    MetricsSnapshot snapshot() {
      metrics.tell(new Metrics.GetSnapshot(probe.ref()));
      return probe.receiveMessage();
    }

    double items(String outcome) {
      return registry.get("rebound.items").tags("queue", "q", "outcome", outcome).counter().count();
    }

    double failures(String kind) {
      return registry.get("rebound.attempt.failures").tags("queue", "q", "kind", kind).counter().count();
    }
  }

  /**
   * A transition of item {@code id} at T0 + {@code atMillis}, enqueued at T0, for this cause;
   * {@code startedMillis} is when the attempt it ends started, or null when it ends none here.
   */
  private static ItemTransition t(String id, ItemStatus status, Cause cause, ErrorKind kind, String error, long atMillis, Long startedMillis) {
    return new ItemTransition(id, "q", status, 0, kind, T0, T0.plusMillis(atMillis), error, cause,
        startedMillis == null ? null : T0.plusMillis(startedMillis));
  }

  private static ItemTransition t(String id, ItemStatus status, Cause cause, long atMillis) {
    return t(id, status, cause, null, null, atMillis, null);
  }

  @Test
  void countersMoveByOutcomeAndErrorKind() {
    Node n = new Node();
    n.see(
        // a: succeeds at once
        t("a", PENDING, Cause.ENQUEUED, 0), t("a", RUNNING, Cause.ATTEMPT_STARTED, 10),
        t("a", SUCCEEDED, Cause.SUCCEEDED, null, null, 20, 10L),
        // b: fails once (transient), then succeeds
        t("b", PENDING, Cause.ENQUEUED, 0), t("b", RUNNING, Cause.ATTEMPT_STARTED, 10),
        t("b", WAITING, Cause.ATTEMPT_FAILED, ErrorKind.TRANSIENT, "timeout talking to x", 30, 10L),
        t("b", RUNNING, Cause.ATTEMPT_STARTED, ErrorKind.TRANSIENT, "timeout talking to x", 40, null),
        t("b", SUCCEEDED, Cause.SUCCEEDED, ErrorKind.TRANSIENT, "timeout talking to x", 50, 40L),
        // c: permanent failure, dead-lettered, then redriven (not a new item)
        t("c", PENDING, Cause.ENQUEUED, 0), t("c", RUNNING, Cause.ATTEMPT_STARTED, 10),
        t("c", DEAD_LETTERED, Cause.ATTEMPT_FAILED, ErrorKind.PERMANENT, "bad payload", 20, 10L),
        t("c", PENDING, Cause.REDRIVEN, ErrorKind.PERMANENT, "bad payload", 5_000, null),
        // d: parked before any attempt (no failed attempt), unparked (not a new item), cancelled
        t("d", PENDING, Cause.ENQUEUED, 0),
        t("d", PARKED, Cause.PARKED_BEFORE_ATTEMPT, ErrorKind.TOOL_UNAVAILABLE, "tools down: db", 10, null),
        t("d", PENDING, Cause.UNPARKED, ErrorKind.TOOL_UNAVAILABLE, "tools down: db", 20, null),
        t("d", CANCELLED, Cause.CANCELLED, ErrorKind.TOOL_UNAVAILABLE, "tools down: db", 30, null),
        // e: the handler says its tool is unavailable: a failed attempt, and parked
        t("e", PENDING, Cause.ENQUEUED, 0), t("e", RUNNING, Cause.ATTEMPT_STARTED, 10),
        t("e", PARKED, Cause.ATTEMPT_PARKED, ErrorKind.TOOL_UNAVAILABLE, "db refused", 20, 10L));

    MetricsSnapshot s = n.snapshot();

    assertEquals(5, n.items("enqueued"));
    assertEquals(2, n.items("succeeded"));
    assertEquals(1, n.items("failed"));
    assertEquals(1, n.items("dead_lettered"));
    assertEquals(2, n.items("parked"));
    assertEquals(1, n.items("cancelled"));
    assertEquals(1, n.failures("transient"));
    assertEquals(1, n.failures("permanent"));
    assertEquals(1, n.failures("tool_unavailable"));
    assertEquals(0, n.failures("timeout"));

    QueueFigures q = s.queue("q");
    assertEquals(2, q.count(Outcome.SUCCEEDED));
    assertEquals(Map.of(ErrorKind.TRANSIENT, 1L, ErrorKind.PERMANENT, 1L, ErrorKind.TOOL_UNAVAILABLE, 1L), q.errorsByKind());
    assertEquals(3, q.attemptFailures());
    assertEquals(q.outcomes(), s.total().outcomes(), "one queue: the total is that queue");
    assertEquals(q.errorsByKind(), s.total().errorsByKind());
  }

  @Test
  void handlerLatencyRunsFromTheAttemptsStartToTheTransitionEndingItAndLifetimeFromEnqueueToTheEnd() {
    Node n = new Node();
    n.see(t("a", PENDING, Cause.ENQUEUED, 0), t("a", RUNNING, Cause.ATTEMPT_STARTED, 1_000),
        t("a", WAITING, Cause.ATTEMPT_FAILED, ErrorKind.TRANSIENT, "x", 1_250, 1_000L),
        t("a", RUNNING, Cause.ATTEMPT_STARTED, ErrorKind.TRANSIENT, "x", 2_000, null),
        t("a", SUCCEEDED, Cause.SUCCEEDED, ErrorKind.TRANSIENT, "x", 2_750, 2_000L),
        // b: its attempt ran on a node that died: a failure, but no latency to measure here
        t("b", WAITING, Cause.ATTEMPT_FAILED, ErrorKind.ORPHANED, "the node stopped", 3_000, null));

    MetricsSnapshot s = n.snapshot();

    Timer handler = n.registry.get("rebound.attempt.duration").tags("queue", "q").timer();
    assertEquals(2, handler.count());
    assertEquals(1_000, handler.totalTime(TimeUnit.MILLISECONDS), 0.001);
    Timer lifetime = n.registry.get("rebound.item.lifetime").tags("queue", "q").timer();
    assertEquals(1, lifetime.count());
    assertEquals(2_750, lifetime.totalTime(TimeUnit.MILLISECONDS), 0.001);
    assertEquals(2, s.queue("q").attempts());
    assertEquals(500, s.queue("q").averageProcessingMillis(), 0.001);
    assertEquals(500, s.total().averageProcessingMillis(), 0.001);
    assertEquals(2, n.failures("transient") + n.failures("orphaned"), "b's attempt failed, though it is not timed");
  }

  @Test
  void itemsPerSecondSlideOverOneAndFiveMinutes() {
    Node n = new Node();
    for (int i = 0; i < 60; i++) {
      n.see(t("i" + i, SUCCEEDED, Cause.SUCCEEDED, i));
    }
    n.snapshot(); // all seen before the clock moves: completions count when the actor sees them
    n.clock.now = T0.plusSeconds(30);
    for (int i = 0; i < 60; i++) {
      n.see(t("j" + i, DEAD_LETTERED, Cause.ATTEMPT_FAILED, ErrorKind.PERMANENT, "no", 30_000 + i, null));
    }
    n.see(t("k", RUNNING, Cause.ATTEMPT_STARTED, 30_000)); // not terminal: not counted

    MetricsSnapshot s = n.snapshot();
    assertEquals(2.0, s.queue("q").itemsPerSecond1m(), 1e-9);
    assertEquals(120 / 300.0, s.queue("q").itemsPerSecond5m(), 1e-9);
    assertEquals(120, s.total().itemsPerMinute(), 1e-9);

    n.clock.now = T0.plusSeconds(70); // the first 60 are over a minute old
    s = n.snapshot();
    assertEquals(1.0, s.queue("q").itemsPerSecond1m(), 1e-9);
    assertEquals(120 / 300.0, s.queue("q").itemsPerSecond5m(), 1e-9);

    n.clock.now = T0.plusSeconds(330); // all over five minutes old
    s = n.snapshot();
    assertEquals(0, s.queue("q").itemsPerSecond1m(), 1e-9);
    assertEquals(0, s.queue("q").itemsPerSecond5m(), 1e-9);
    assertEquals(60, s.queue("q").count(Outcome.SUCCEEDED), "counts do not slide");
  }

  @Test
  void throughputChartsFifteenMinutesOfCompletionsAndFailuresInTenSecondBuckets() {
    Node n = new Node();
    n.see(t("a", SUCCEEDED, Cause.SUCCEEDED, 0));
    n.see(t("b", WAITING, Cause.ATTEMPT_FAILED, ErrorKind.TRANSIENT, "boom", 0, null));
    n.snapshot();
    n.clock.now = T0.plusSeconds(25);
    n.see(t("c", SUCCEEDED, Cause.SUCCEEDED, 25_000));
    n.see(t("d", DEAD_LETTERED, Cause.ATTEMPT_FAILED, ErrorKind.PERMANENT, "no", 25_000, null));

    Throughput tp = n.snapshot().throughput();
    assertEquals(10, tp.bucketSeconds());
    assertEquals(90, tp.completed().size());
    assertEquals(T0.plusSeconds(20).minusSeconds(89 * 10), tp.start(), "the last bucket is the current one");
    // A dead letter is a completed item and a failed attempt.
    assertEquals(java.util.List.of(1L, 0L, 2L), tp.completed().subList(87, 90));
    assertEquals(java.util.List.of(1L, 0L, 1L), tp.failed().subList(87, 90));

    n.clock.now = T0.plusSeconds(15 * 60 + 30); // both buckets are over fifteen minutes old
    tp = n.snapshot().throughput();
    assertEquals(0L, tp.completed().stream().mapToLong(Long::longValue).sum());
    assertEquals(0L, tp.failed().stream().mapToLong(Long::longValue).sum());
  }

  @Test
  void recentFailuresAreBoundedAndNewestFirst() {
    Node n = new Node();
    for (int i = 1; i <= 5; i++) {
      n.see(t("f" + i, RUNNING, Cause.ATTEMPT_STARTED, i * 10),
          t("f" + i, WAITING, Cause.ATTEMPT_FAILED, ErrorKind.TRANSIENT, "failure " + i, i * 10 + 5, (long) i * 10));
    }

    List<RecentFailure> recent = n.snapshot().recentFailures();

    assertEquals(List.of("f5", "f4", "f3"), recent.stream().map(RecentFailure::id).toList());
    RecentFailure last = recent.get(0);
    assertEquals("q", last.queue());
    assertEquals(ErrorKind.TRANSIENT, last.kind());
    assertEquals("failure 5", last.message());
    assertEquals(T0.plusMillis(55), last.at());
  }

  @Test
  void depthIsPolledFromTheSourceAndShownByTheGauges() {
    AtomicReference<Long> pending = new AtomicReference<>(7L);
    DepthSource source = () -> CompletableFuture.supplyAsync(() ->
        Map.of("q", Map.of(ItemStatus.PENDING, pending.get(), ItemStatus.WAITING, 2L, ItemStatus.SUCCEEDED, 40L),
            "elsewhere", Map.of(ItemStatus.PARKED, 1L)));
    Node n = new Node(new MetricsSettings(Duration.ofMillis(50), false, false, 3, "test"), source);

    n.probe.awaitAssert(() -> {
      assertEquals(7, n.snapshot().queue("q").depth(ItemStatus.PENDING));
      return null;
    });
    pending.set(9L);
    n.probe.awaitAssert(() -> {
      MetricsSnapshot s = n.snapshot();
      assertEquals(9, s.queue("q").depth(ItemStatus.PENDING));
      assertEquals(11, s.queue("q").openDepth(), "terminal statuses are not depth");
      assertEquals(1, s.queue("elsewhere").depth(ItemStatus.PARKED), "a queue only the read side knows");
      assertEquals(12, s.total().openDepth(), "every queue's open items");
      return null;
    });
    assertEquals(9, n.registry.get("rebound.queue.depth").tags("queue", "q", "status", "pending").gauge().value());
    assertEquals(40, n.registry.get("rebound.queue.depth").tags("queue", "q", "status", "succeeded").gauge().value());
    assertNotNull(n.registry.find("rebound.queue.depth").tags("queue", "elsewhere", "status", "parked").gauge());
  }

  @Test
  void aFailingDepthSourceLeavesTheLastDepthAndTheActorAnswering() {
    AtomicReference<Boolean> fail = new AtomicReference<>(false);
    DepthSource source = () -> fail.get()
        ? CompletableFuture.failedFuture(new IllegalStateException("database gone"))
        : CompletableFuture.completedFuture(Map.of("q", Map.of(ItemStatus.PENDING, 3L)));
    Node n = new Node(new MetricsSettings(Duration.ofMillis(50), false, false, 3, "test"), source);
    n.probe.awaitAssert(() -> {
      assertEquals(3, n.snapshot().queue("q").depth(ItemStatus.PENDING));
      return null;
    });
    fail.set(true);
    n.see(t("a", SUCCEEDED, Cause.SUCCEEDED, 0));
    n.probe.awaitAssert(() -> {
      MetricsSnapshot s = n.snapshot();
      assertEquals(1, s.queue("q").count(Outcome.SUCCEEDED));
      assertEquals(3, s.queue("q").depth(ItemStatus.PENDING));
      return null;
    });
  }

  @Test
  void transitionsPublishedOnTheEventStreamAreCounted() {
    Node n = new Node();
    // The actor subscribes as it starts: publish to another queue until one is seen ...
    n.probe.awaitAssert(() -> {
      testKit.system().eventStream().tell(new EventStream.Publish<>(
          new ItemTransition("w" + System.nanoTime(), "warm-up", SUCCEEDED, 1, null, T0, T0, null, Cause.SUCCEEDED, null)));
      assertTrue(n.snapshot().queue("warm-up").count(Outcome.SUCCEEDED) > 0);
      return null;
    });
    // ... then exactly one to the queue under test.
    testKit.system().eventStream().tell(new EventStream.Publish<>(t("a", SUCCEEDED, Cause.SUCCEEDED, 0)));
    n.probe.awaitAssert(() -> {
      assertEquals(1, n.snapshot().queue("q").count(Outcome.SUCCEEDED));
      return null;
    });
    assertEquals(1, n.items("succeeded"));
  }
}
