package io.rebound.core.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.rebound.core.dispatch.Dispatcher.Command;
import io.rebound.core.dispatch.Dispatcher.Deferred;
import io.rebound.core.dispatch.Dispatcher.Granted;
import io.rebound.core.dispatch.Dispatcher.ReturnPermit;
import io.rebound.core.dispatch.Dispatcher.Request;
import io.rebound.core.limit.HeldBack;
import io.rebound.core.limit.LimitBook;
import io.rebound.core.limit.LimitSettings;
import io.rebound.core.limit.QueueLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Round-robin across groups, fair deferral, and starts under a limiter's leases, on manual time. */
class FairDispatcherTest {
  private static final ActorTestKit KIT = ActorTestKit.create(ManualTime.config());
  private static final LimitSettings LIMITS = new LimitSettings(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ZERO,
      Duration.ofMillis(50), 10);

  private final ManualTime time = ManualTime.get(KIT.system());
  private final TestProbe<Dispatcher.Answer> answers = KIT.createTestProbe();

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  private void request(ActorRef<Command> d, String id, String group, int priority, long order) {
    // An owner per request, as each item is its own actor.
    d.tell(new Request(id, "q", priority, order, answers.ref(), KIT.spawn(Behaviors.ignore()), group));
  }

  private String granted() {
    return assertInstanceOf(Granted.class, answers.receiveMessage()).itemId();
  }

  @Test
  void permits_go_round_robin_across_groups_within_a_priority() {
    ActorRef<Command> d = KIT.spawn(Dispatcher.create(10, Map.of("q", 1)));
    d.tell(new Dispatcher.Pause("q"));
    for (int i = 1; i <= 5; i++) {
      request(d, "a" + i, "a", 5, i);
    }
    request(d, "b1", "b", 5, 6);
    request(d, "b2", "b", 5, 7);
    d.tell(new Dispatcher.Resume("q"));
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      String id = granted();
      order.add(id);
      d.tell(new ReturnPermit(id));
    }
    assertEquals(List.of("a1", "b1", "a2", "b2", "a3", "a4", "a5"), order);
  }

  @Test
  void a_higher_priority_goes_first_whichever_group_has_its_turn() {
    ActorRef<Command> d = KIT.spawn(Dispatcher.create(10, Map.of("q", 1)));
    d.tell(new Dispatcher.Pause("q"));
    request(d, "a1", "a", 5, 1);
    request(d, "b1", "b", 5, 2);
    request(d, "a9", "a", 9, 3);
    d.tell(new Dispatcher.Resume("q"));
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String id = granted();
      order.add(id);
      d.tell(new ReturnPermit(id));
    }
    assertEquals(List.of("a9", "b1", "a1"), order);
  }

  @Test
  void when_the_line_is_full_the_biggest_group_gives_way() {
    ActorRef<Command> d = KIT.spawn(Dispatcher.create(10, Map.of("q", 1), 3, id -> {}));
    d.tell(new Dispatcher.Pause("q"));
    request(d, "a1", "a", 5, 1);
    request(d, "a2", "a", 5, 2);
    request(d, "a3", "a", 5, 3);
    // Newer than every request of a, yet a's worst leaves memory: b's only request stays in line.
    request(d, "b1", "b", 5, 4);
    assertEquals("a3", assertInstanceOf(Deferred.class, answers.receiveMessage()).itemId());
    d.tell(new Dispatcher.Resume("q"));
    assertEquals("a1", granted());
    d.tell(new ReturnPermit("a1"));
    assertEquals("b1", granted());
  }

  @Test
  void a_limited_queue_reports_its_wants_and_starts_only_what_its_leases_allow() {
    TestProbe<QueueLimiter.Command> limiter = KIT.createTestProbe();
    HeldBack heldBack = new HeldBack();
    Dispatcher.Limits limits = new Dispatcher.Limits(Set.of("q"), (q, c) -> limiter.ref().tell(c), LIMITS, heldBack);
    ActorRef<Command> d = KIT.spawn(Dispatcher.create(10, Map.of("q", 4), 100, id -> {}, limits));
    request(d, "a1", "a", 5, 1);
    request(d, "a2", "a", 5, 2);
    request(d, "b1", "b", 5, 3);
    time.timePasses(Duration.ofMillis(50));
    QueueLimiter.Report report = (QueueLimiter.Report) limiter.receiveMessage();
    assertEquals(Map.of("a", new LimitBook.Want(2, 5), "b", new LimitBook.Want(1, 5)), report.wants());
    assertEquals(Map.of(), report.held());

    report.replyTo().tell(new QueueLimiter.Lease("q", 42, 1, Map.of("b", 1, "a", 1)));
    List<String> started = new ArrayList<>(List.of(granted(), granted()));
    started.sort(String::compareTo);
    assertEquals(List.of("a1", "b1"), started);

    // The heartbeat: what it holds (two running), the lease it applied, and a2 held back by the limit.
    time.timePasses(Duration.ofSeconds(1));
    QueueLimiter.Report beat = reportWhere(limiter, r -> r.held().equals(Map.of("a", 1, "b", 1)) && r.ack() == 1);
    assertEquals(42, beat.epoch());
    assertEquals(Map.of("a", new LimitBook.Want(1, 5)), beat.wants());
    org.awaitility.Awaitility.await().until(() -> heldBack.of("q").equals(Map.of("a", 1)));

    // An attempt ended: its group slot is reported free (a change goes out within a tick).
    d.tell(new ReturnPermit("a1"));
    QueueLimiter.Report afterRelease = reportWhere(limiter, r -> {
      time.timePasses(Duration.ofMillis(50));
      return r.held().equals(Map.of("b", 1));
    });
    assertEquals(Map.of("a", new LimitBook.Want(1, 5)), afterRelease.wants());
    // Without a lease for a, a2 does not start.
    answers.expectNoMessage(Duration.ofMillis(100));
  }

  /** The next report that matches, within a few (a change and a heartbeat may both have gone out). */
  private static QueueLimiter.Report reportWhere(TestProbe<QueueLimiter.Command> limiter, java.util.function.Predicate<QueueLimiter.Report> p) {
    for (int i = 0; i < 5; i++) {
      QueueLimiter.Report r = (QueueLimiter.Report) limiter.receiveMessage();
      if (p.test(r)) {
        return r;
      }
    }
    throw new AssertionError("no such report among 5");
  }
}
