package io.rebound.core.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rebound.core.config.QueueSettings;
import io.rebound.core.config.RateLimit;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The limiter actor on manual time: it answers reports at once and hands out refills on its ticks. */
class QueueLimiterTest {
  private static final ActorTestKit KIT = ActorTestKit.create(ManualTime.config());
  private static final Duration TICK = Duration.ofMillis(100);

  private final ManualTime time = ManualTime.get(KIT.system());
  /** The buckets' clock, moved with the scheduler's. */
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  private void pass(Duration d) {
    nanos.addAndGet(d.toNanos());
    time.timePasses(d);
  }

  private ActorRef<QueueLimiter.Command> limiter(QueueSettings q, Duration settle) {
    LimitSettings s = new LimitSettings(Duration.ofSeconds(1), Duration.ofSeconds(5), settle, TICK, 10);
    return KIT.spawn(QueueLimiter.create(q.name(), q, s, nanos::get));
  }

  private static int permits(QueueLimiter.Lease l) {
    return l.permits().values().stream().mapToInt(Integer::intValue).sum();
  }

  @Test
  void a_report_gets_the_burst_at_once_and_the_refill_on_later_ticks() {
    QueueSettings q = QueueSettings.builder("paced").rateLimit(new RateLimit(10, 5)).build();
    ActorRef<QueueLimiter.Command> limiter = limiter(q, Duration.ZERO);
    TestProbe<QueueLimiter.Lease> node = KIT.createTestProbe();
    limiter.tell(new QueueLimiter.Report(node.ref(), 0, 0, Map.of("", new LimitBook.Want(10, 5)), Map.of()));
    QueueLimiter.Lease first = node.receiveMessage();
    assertEquals(5, permits(first));
    assertEquals("paced", first.queue());
    // 300 ms at 10/s: three more, over the ticks of that time.
    pass(Duration.ofMillis(300));
    int refilled = 0;
    while (refilled < 3) {
      refilled += permits(node.receiveMessage());
    }
    assertEquals(3, refilled);
    node.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void a_new_limiter_waits_for_the_nodes_to_report_before_it_grants() {
    QueueSettings q = QueueSettings.builder("tenants").groupConcurrency(1).build();
    ActorRef<QueueLimiter.Command> limiter = limiter(q, Duration.ofSeconds(1));
    TestProbe<QueueLimiter.Lease> asking = KIT.createTestProbe();
    TestProbe<QueueLimiter.Lease> holding = KIT.createTestProbe();
    // A node that held group a's slot before the limiter moved reports it within the settle time.
    limiter.tell(new QueueLimiter.Report(holding.ref(), 0, 0, Map.of(), Map.of("a", 1)));
    limiter.tell(new QueueLimiter.Report(asking.ref(), 0, 0, Map.of("a", new LimitBook.Want(1, 5)), Map.of()));
    // Manual time fires only the timers already set: let the new limiter start and set its settle
    // time first (without this wait the settle time could be set after the clock moved, and never end).
    asking.expectNoMessage(Duration.ofMillis(300));
    pass(Duration.ofSeconds(1));
    asking.expectNoMessage(Duration.ofMillis(200));
    limiter.tell(new QueueLimiter.Report(holding.ref(), 0, 0, Map.of(), Map.of()));
    QueueLimiter.Lease lease = asking.receiveMessage();
    assertEquals(Map.of("a", 1), lease.permits());
  }
}
