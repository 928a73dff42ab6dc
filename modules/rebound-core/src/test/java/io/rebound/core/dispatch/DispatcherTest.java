package io.rebound.core.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.dispatch.Dispatcher.Command;
import io.rebound.core.dispatch.Dispatcher.Drain;
import io.rebound.core.dispatch.Dispatcher.Drained;
import io.rebound.core.dispatch.Dispatcher.GetStats;
import io.rebound.core.dispatch.Dispatcher.Granted;
import io.rebound.core.dispatch.Dispatcher.Pause;
import io.rebound.core.dispatch.Dispatcher.QueueStats;
import io.rebound.core.dispatch.Dispatcher.ReturnPermit;
import io.rebound.core.dispatch.Dispatcher.Request;
import io.rebound.core.dispatch.Dispatcher.Resume;
import io.rebound.core.dispatch.Dispatcher.Stats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dispatcher's grant order, limits, pause, drain and owner watching.
 *
 * <p>Every test talks to the dispatcher through one {@link Client}: a single probe that receives
 * the {@link Granted}s, the {@link Stats} and the {@link Drained}. The dispatcher replies while it
 * handles a message, so asking for the stats and getting the {@code Stats} as the very next message
 * proves that nothing was granted (or drained) before it, without waiting for a timeout.
 *
 * <p>Pekko's {@code TestKitJUnit5Extension} has no {@code spawn} of its own: it looks up the
 * {@code @JUnit5TestKit} field of the test instance and shuts that kit down after all tests, so the
 * class uses one instance (one actor system) for all its tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DispatcherTest {

  @RegisterExtension static final TestKitJUnit5Extension extension = new TestKitJUnit5Extension();

  @JUnit5TestKit final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final Duration QUIET = Duration.ofMillis(200);

  /** One probe for grants, stats and drain answers, so that their order is observable. */
  private final class Client {
    final ActorRef<Command> dispatcher;
    final TestProbe<Object> probe = testKit.createTestProbe();

    Client(ActorRef<Command> dispatcher) {
      this.dispatcher = dispatcher;
    }

    ActorRef<Dispatcher.Answer> grants() {
      return probe.ref().narrow();
    }

    void request(String itemId, String queue, int priority, long order, ActorRef<?> owner) {
      dispatcher.tell(new Request(itemId, queue, priority, order, grants(), owner));
    }

    /** Requests with a fresh owner actor, returned so that the test can stop it. */
    ActorRef<Object> request(String itemId, String queue, int priority, long order) {
      ActorRef<Object> owner = newOwner();
      request(itemId, queue, priority, order, owner);
      return owner;
    }

    void release(String itemId) {
      dispatcher.tell(new ReturnPermit(itemId));
    }

    String expectGranted() {
      return assertInstanceOf(Granted.class, probe.receiveMessage(), "expected a Granted").itemId();
    }

    void expectGranted(String itemId) {
      assertEquals(new Granted(itemId), probe.receiveMessage(), "expected " + itemId + " to be granted");
    }

    /** The stats; fails if anything else (a Granted, a Drained) was sent to this client before them. */
    Stats stats() {
      dispatcher.tell(new GetStats(probe.ref().narrow()));
      return assertInstanceOf(Stats.class, probe.receiveMessage(), "expected the Stats as the next message");
    }

    void expectNothingMore() {
      stats();
    }

    /** Polls the stats until they show {@code waiting} waiting requests (for asynchronous watch notices). */
    Stats awaitWaiting(int waiting) {
      return probe.awaitAssert(
          Duration.ofSeconds(3),
          Duration.ofMillis(20),
          () -> {
            Stats s = stats();
            assertEquals(waiting, s.waiting(), () -> "waiting in " + s);
            return s;
          });
    }
  }

  private ActorRef<Object> newOwner() {
    return testKit.spawn(Behaviors.empty());
  }

  private Client dispatcher(int global, Map<String, Integer> queueLimits) {
    return new Client(testKit.spawn(Dispatcher.create(global, queueLimits)));
  }

  @Test
  void aFullWaitingLineDefersTheWorstRequestSoThatABacklogWaitsInTheDatabase() {
    Client c = new Client(testKit.spawn(Dispatcher.create(10, Map.of("q", 1), 2, id -> {})));
    c.dispatcher.tell(new Pause("q"));
    c.request("a", "q", 5, 1);
    c.request("b", "q", 5, 2);
    c.request("c", "q", 5, 3);
    assertEquals(new Dispatcher.Deferred("c"), c.probe.receiveMessage(), "the newest of equals is deferred");
    c.request("urgent", "q", 9, 4);
    assertEquals(new Dispatcher.Deferred("b"), c.probe.receiveMessage(), "a better request pushes the worst out");
    assertEquals(2, c.stats().waiting());
    c.dispatcher.tell(new Resume("q"));
    c.expectGranted("urgent");
  }

  @Test
  void deferredItemsAreWokenBestFirstAsTheWaitingLineShortens() {
    java.util.concurrent.LinkedBlockingQueue<String> woken = new java.util.concurrent.LinkedBlockingQueue<>();
    Client c = new Client(testKit.spawn(Dispatcher.create(10, Map.of("q", 1), 2, woken::add)));
    c.dispatcher.tell(new Pause("q"));
    c.request("a", "q", 5, 1);
    c.request("b", "q", 5, 2);
    c.request("c", "q", 5, 3);
    c.request("d", "q", 7, 4);
    assertEquals(new Dispatcher.Deferred("c"), c.probe.receiveMessage());
    assertEquals(new Dispatcher.Deferred("b"), c.probe.receiveMessage());
    assertTrue(woken.isEmpty(), "the line is full: nobody is woken");
    c.dispatcher.tell(new Resume("q"));
    c.expectGranted("d");
    // d left the line: the best deferred item (b: same priority as c, older) is woken, once.
    awaitWoken(woken, "b");
    c.release("d");
    c.expectGranted("a");
    c.request("b", "q", 5, 2);
    awaitWoken(woken, "c");
    assertTrue(woken.isEmpty(), "woken: " + woken);
  }

  private static void awaitWoken(java.util.concurrent.BlockingQueue<String> woken, String id) {
    try {
      assertEquals(id, woken.poll(3, java.util.concurrent.TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void grantsInPriorityOrderThenOldestFirst() {
    Client c = dispatcher(10, Map.of("q", 1));
    c.dispatcher.tell(new Pause("q"));
    c.request("low-newer", "q", 0, 20);
    c.request("high-newer", "q", 5, 30);
    c.request("high-older", "q", 5, 10);
    c.request("mid", "q", 1, 5);
    c.request("low-oldest", "q", 0, 1);
    c.request("negative", "q", -3, 0);
    c.expectNothingMore();

    c.dispatcher.tell(new Resume("q"));
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String granted = c.expectGranted();
      order.add(granted);
      c.expectNothingMore(); // one permit at a time: concurrency 1
      c.release(granted);
    }
    assertEquals(List.of("high-older", "high-newer", "mid", "low-oldest", "low-newer", "negative"), order);
    assertEquals(0, c.stats().running());
  }

  @Test
  void respectsThePerQueueLimit() {
    Client c = dispatcher(10, Map.of("q", 2, "other", 5));
    c.request("a", "q", 0, 1);
    c.request("b", "q", 0, 2);
    c.request("c", "q", 0, 3);
    c.expectGranted("a");
    c.expectGranted("b");
    Stats s = c.stats();
    assertEquals(2, s.running());
    assertEquals(1, s.waiting());
    assertEquals(new QueueStats(2, 1, 2, false), s.queues().get("q"));

    c.release("a");
    c.expectGranted("c");
    c.expectNothingMore();
  }

  @Test
  void respectsTheGlobalLimitAcrossQueues() {
    Client c = dispatcher(2, Map.of("q1", 2, "q2", 2));
    c.request("a", "q1", 0, 1);
    c.request("b", "q2", 0, 2);
    c.request("c", "q1", 0, 3);
    c.request("d", "q2", 0, 4);
    c.expectGranted("a");
    c.expectGranted("b");
    Stats s = c.stats();
    assertEquals(2, s.running());
    assertEquals(2, s.waiting());

    c.release("b"); // frees a q2 slot, but c (q1) is the older head and q1 still has room
    c.expectGranted("c");
    c.expectNothingMore();
    c.release("a");
    c.expectGranted("d");
    s = c.stats();
    assertEquals(2, s.running());
    assertEquals(0, s.waiting());
  }

  @Test
  void picksTheBestHeadAcrossQueues() {
    Client c = dispatcher(1, Map.of("q1", 5, "q2", 5));
    c.request("holder", "q1", 0, 0);
    c.expectGranted("holder");
    c.request("q1-first", "q1", 1, 1);
    c.request("q1-second", "q1", 1, 2);
    c.request("q2-urgent", "q2", 5, 9);
    c.request("q2-low", "q2", 0, 0);
    c.expectNothingMore();

    List<String> order = new ArrayList<>();
    String running = "holder";
    for (int i = 0; i < 4; i++) {
      c.release(running);
      running = c.expectGranted();
      order.add(running);
      c.expectNothingMore(); // global limit 1
    }
    assertEquals(List.of("q2-urgent", "q1-first", "q1-second", "q2-low"), order);
  }

  @Test
  void pausedQueueGrantsNothingUntilResumed() {
    Client c = dispatcher(10, Map.of("q", 5));
    c.dispatcher.tell(new Pause("q"));
    c.request("a", "q", 0, 1);
    c.request("b", "q", 0, 2);
    Stats s = c.stats();
    assertEquals(0, s.running());
    assertEquals(new QueueStats(0, 2, 5, true), s.queues().get("q"));

    c.dispatcher.tell(new Resume("q"));
    c.expectGranted("a");
    c.expectGranted("b");
    assertEquals(new QueueStats(2, 0, 5, false), c.stats().queues().get("q"));
  }

  @Test
  void otherQueuesKeepRunningWhileOneIsPaused() {
    Client c = dispatcher(10, Map.of("paused", 5, "running", 5));
    c.dispatcher.tell(new Pause("paused"));
    c.request("p1", "paused", 9, 0);
    c.request("r1", "running", 0, 5);
    c.expectGranted("r1");
    c.request("r2", "running", 0, 6);
    c.expectGranted("r2");
    c.expectNothingMore();

    c.dispatcher.tell(new Resume("paused"));
    c.expectGranted("p1");
  }

  @Test
  void pausingAQueueKeepsItsRunningPermitsOut() {
    Client c = dispatcher(10, Map.of("q", 1));
    c.request("a", "q", 0, 1);
    c.expectGranted("a");
    c.dispatcher.tell(new Pause("q"));
    c.request("b", "q", 0, 2);
    c.release("a");
    Stats s = c.stats(); // b is not granted although a permit is free
    assertEquals(new QueueStats(0, 1, 1, true), s.queues().get("q"));
    c.dispatcher.tell(new Resume("q"));
    c.expectGranted("b");
  }

  @Test
  void releaseWithdrawsAWaitingRequest() {
    Client c = dispatcher(1, Map.of("q", 1));
    c.request("a", "q", 0, 1);
    c.expectGranted("a");
    c.request("b", "q", 0, 2);
    assertEquals(1, c.stats().waiting());

    c.release("b");
    Stats s = c.stats();
    assertEquals(1, s.running());
    assertEquals(0, s.waiting());
    assertEquals(new QueueStats(1, 0, 1, false), s.queues().get("q"));

    c.release("a");
    assertEquals(0, c.stats().running()); // b is not granted: it was withdrawn
    c.request("c", "q", 0, 3);
    c.expectGranted("c");
  }

  @Test
  void releaseOfAnUnknownItemChangesNothing() {
    Client c = dispatcher(1, Map.of("q", 1));
    c.request("a", "q", 0, 1);
    c.expectGranted("a");
    c.request("b", "q", 0, 2);
    c.release("never-requested");
    Stats s = c.stats();
    assertEquals(1, s.running());
    assertEquals(1, s.waiting());
  }

  @Test
  void aStoppedOwnerFreesItsPermit() {
    Client c = dispatcher(1, Map.of("q", 1));
    ActorRef<Object> ownerOfA = c.request("a", "q", 0, 1);
    c.expectGranted("a");
    c.request("b", "q", 0, 2);
    c.expectNothingMore();

    testKit.stop(ownerOfA);
    c.expectGranted("b");
    Stats s = c.stats();
    assertEquals(1, s.running());
    assertEquals(0, s.waiting());
  }

  @Test
  void aStoppedOwnersWaitingRequestIsDropped() {
    Client c = dispatcher(1, Map.of("q", 1));
    c.request("a", "q", 0, 1);
    c.expectGranted("a");
    ActorRef<Object> ownerOfB = c.request("b", "q", 0, 2);
    assertEquals(1, c.stats().waiting());

    testKit.stop(ownerOfB);
    Stats s = c.awaitWaiting(0);
    assertEquals(1, s.running());
    assertEquals(new QueueStats(1, 0, 1, false), s.queues().get("q"));

    c.release("a");
    assertEquals(0, c.stats().running()); // b is not granted
  }

  @Test
  void aRequestWhoseOwnerIsAlreadyStoppedIsDropped() {
    Client c = dispatcher(1, Map.of("q", 1));
    c.request("a", "q", 0, 1);
    c.expectGranted("a");
    ActorRef<Object> dead = newOwner();
    testKit.stop(dead);
    c.request("b", "q", 0, 2, dead);
    c.awaitWaiting(0);
    c.release("a");
    assertEquals(0, c.stats().running());
  }

  @Test
  void aRestartedItemTakesItsPermitOverAndTheOldOwnersStopIsIgnored() {
    Client c = dispatcher(1, Map.of("q", 1));
    Client restarted = new Client(c.dispatcher);
    ActorRef<Object> oldOwner = c.request("a", "q", 0, 1);
    c.expectGranted("a");

    ActorRef<Object> newOwner = restarted.request("a", "q", 0, 1);
    restarted.expectGranted("a");
    c.expectNothingMore(); // the old incarnation gets no second grant
    Stats s = c.stats();
    assertEquals(1, s.running());
    assertEquals(new QueueStats(1, 0, 1, false), s.queues().get("q"));

    testKit.stop(oldOwner);
    c.request("b", "q", 0, 2);
    c.probe.expectNoMessage(QUIET); // the old owner's stop must not free a's permit for b
    s = c.stats();
    assertEquals(1, s.running());
    assertEquals(1, s.waiting());
    assertEquals(new QueueStats(1, 1, 1, false), s.queues().get("q"));

    // the new owner is the one watched now: its stop frees the permit
    testKit.stop(newOwner);
    c.expectGranted("b");
    s = c.stats();
    assertEquals(1, s.running());
    assertEquals(0, s.waiting());
    restarted.expectNothingMore();
  }

  @Test
  void aRestartedItemsReleaseFreesTheSinglePermit() {
    Client c = dispatcher(1, Map.of("q", 1));
    c.request("a", "q", 0, 1);
    c.expectGranted("a");
    c.request("a", "q", 0, 1);
    c.expectGranted("a");
    c.request("b", "q", 0, 2);
    c.expectNothingMore();

    c.release("a");
    c.expectGranted("b");
    Stats s = c.stats();
    assertEquals(1, s.running());
    assertEquals(new QueueStats(1, 0, 1, false), s.queues().get("q"));
  }

  @Test
  void aRepeatedRequestReplacesTheEarlierOne() {
    Client c = dispatcher(1, Map.of("q", 1));
    c.request("holder", "q", 0, 0);
    c.expectGranted("holder");
    ActorRef<Object> owner = newOwner();
    c.request("a", "q", 0, 10, owner);
    c.request("b", "q", 1, 5);
    c.request("a", "q", 5, 10, owner); // a asks again, now more urgent than b
    Stats s = c.stats();
    assertEquals(2, s.waiting());
    assertEquals(new QueueStats(1, 2, 1, false), s.queues().get("q"));

    c.release("holder");
    c.expectGranted("a");
    c.expectNothingMore(); // only one grant for a
    c.release("a");
    c.expectGranted("b");
    c.expectNothingMore();
  }

  @Test
  void aRepeatedWaitingRequestWithANewOwnerSurvivesTheOldOwnersStop() {
    Client c = dispatcher(1, Map.of("q", 1));
    c.request("holder", "q", 0, 0);
    c.expectGranted("holder");
    ActorRef<Object> oldOwner = c.request("a", "q", 0, 1);
    ActorRef<Object> newOwner = c.request("a", "q", 0, 1);
    assertEquals(1, c.stats().waiting());

    testKit.stop(oldOwner);
    c.probe.expectNoMessage(QUIET);
    assertEquals(1, c.stats().waiting());

    testKit.stop(newOwner);
    c.awaitWaiting(0);
  }

  @Test
  void requestForAnUnknownQueueIsIgnored() {
    Client c = dispatcher(1, Map.of("q", 1));
    c.request("lost", "nope", 9, 0);
    Stats s = c.stats();
    assertEquals(0, s.running());
    assertEquals(0, s.waiting());
    assertEquals(Map.of("q", new QueueStats(0, 0, 1, false)), s.queues());

    c.request("a", "q", 0, 1); // the ignored request holds no global permit
    c.expectGranted("a");
    c.expectNothingMore();
  }

  @Test
  void drainStopsGrantingAndAnswersWhenNoPermitIsOut() {
    Client c = dispatcher(2, Map.of("q", 2));
    c.request("a", "q", 0, 1);
    c.request("b", "q", 0, 2);
    c.request("c", "q", 0, 3);
    c.expectGranted("a");
    c.expectGranted("b");

    c.dispatcher.tell(new Drain(c.probe.ref().narrow()));
    Stats s = c.stats(); // no Drained yet: two permits are out
    assertTrue(s.draining());
    assertEquals(2, s.running());

    c.release("a");
    s = c.stats(); // c is not granted and there is still no Drained
    assertEquals(1, s.running());
    assertEquals(1, s.waiting());

    c.request("d", "q", 0, 4);
    c.expectNothingMore();

    c.release("b");
    assertInstanceOf(Drained.class, c.probe.receiveMessage());
    s = c.stats(); // and still nothing granted
    assertTrue(s.draining());
    assertEquals(0, s.running());
    assertEquals(2, s.waiting());
  }

  @Test
  void drainWithNoPermitOutAnswersAtOnce() {
    Client c = dispatcher(2, Map.of("q", 2));
    c.dispatcher.tell(new Drain(c.probe.ref().narrow()));
    assertInstanceOf(Drained.class, c.probe.receiveMessage());
    c.request("a", "q", 0, 1);
    Stats s = c.stats();
    assertTrue(s.draining());
    assertEquals(0, s.running());
    assertEquals(1, s.waiting());
  }

  @Test
  void statsReportRunningWaitingAndPaused() {
    Client c = dispatcher(3, Map.of("q1", 1, "q2", 2));
    Stats empty = c.stats();
    assertEquals(new Stats(0, 0, false, Map.of("q1", new QueueStats(0, 0, 1, false), "q2", new QueueStats(0, 0, 2, false))), empty);

    c.dispatcher.tell(new Pause("q2"));
    c.request("a", "q1", 0, 1);
    c.expectGranted("a");
    c.request("b", "q1", 0, 2);
    c.request("c", "q2", 0, 3);
    Stats s = c.stats();
    assertEquals(1, s.running());
    assertEquals(2, s.waiting());
    assertFalse(s.draining());
    assertEquals(Map.of("q1", new QueueStats(1, 1, 1, false), "q2", new QueueStats(0, 1, 2, true)), s.queues());

    c.dispatcher.tell(new Resume("q2"));
    c.expectGranted("c");
    assertEquals(
        new Stats(2, 1, false, Map.of("q1", new QueueStats(1, 1, 1, false), "q2", new QueueStats(1, 0, 2, false))),
        c.stats());
  }

  // ---- TryRequest: a permit now or nothing ---------------------------------------------------

  private void tryRequest(Client c, String itemId, String queue) {
    c.dispatcher.tell(new Dispatcher.TryRequest(new Request(itemId, queue, 5, 0, c.grants(), newOwner())));
  }

  @Test
  void a_try_request_gets_a_free_permit_at_once_and_holds_it_until_released() {
    Client c = dispatcher(10, Map.of("q", 1));
    tryRequest(c, "a", "q");
    c.expectGranted("a");
    assertEquals(1, c.stats().running());
    c.request("b", "q", 9, 0);
    c.expectNothingMore();
    c.release("a");
    c.expectGranted("b");
  }

  @Test
  void a_try_request_is_busy_when_the_queue_is_full_or_others_wait_and_nothing_of_it_is_kept() {
    Client c = dispatcher(10, Map.of("q", 1));
    c.request("a", "q", 5, 0);
    c.expectGranted("a");
    tryRequest(c, "b", "q");
    assertEquals(new Dispatcher.Busy("b"), c.probe.receiveMessage(), "the queue's only permit is out");
    c.request("w", "q", 1, 0);
    c.release("a");
    c.expectGranted("w");
    c.release("w");
    assertEquals(0, c.stats().waiting(), "the busy request was not kept");
    c.request("x", "q", 1, 0);
    c.expectGranted("x");
    tryRequest(c, "y", "q");
    assertEquals(new Dispatcher.Busy("y"), c.probe.receiveMessage());
  }

  @Test
  void a_try_request_never_overtakes_a_waiting_request_nor_runs_in_a_paused_queue() {
    Client c = dispatcher(10, Map.of("q", 2, "p", 2));
    c.dispatcher.tell(new Pause("p"));
    tryRequest(c, "a", "p");
    assertEquals(new Dispatcher.Busy("a"), c.probe.receiveMessage(), "paused");
    c.request("b", "p", 5, 0);
    c.dispatcher.tell(new Resume("p"));
    c.expectGranted("b");
    c.request("c", "p", 5, 1);
    c.expectGranted("c");
    c.request("d", "p", 5, 2);
    tryRequest(c, "e", "p");
    assertEquals(new Dispatcher.Busy("e"), c.probe.receiveMessage(), "d waits before it");
  }
}
