package io.rebound.core.item;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rebound.api.ErrorKind;
import io.rebound.api.JobContext;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.api.RetryPolicy;
import io.rebound.api.ToolUnavailableException;
import io.rebound.api.TransientException;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.dispatch.Dispatcher;
import io.rebound.core.tools.ToolHealth;
import io.rebound.core.tools.ToolSupervisor;
import io.rebound.core.item.ItemEntity.Command;
import io.rebound.core.item.ItemEntity.Event;
import io.rebound.core.item.ItemEntity.Reply;
import io.rebound.core.item.ItemEntity.State;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class ItemEntityTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(EventSourcedBehaviorTestKit.config()
          .withFallback(ManualTime.config())
          .withFallback(ConfigFactory.load()))
      .build();

  /** One handler invocation, completed by the test. */
  record Invocation(JobContext context, CompletableFuture<Void> result) {}

  private final BlockingQueue<Invocation> invocations = new LinkedBlockingQueue<>();
  private final JobHandler controlled = ctx -> {
    CompletableFuture<Void> f = new CompletableFuture<>();
    invocations.add(new Invocation(ctx, f));
    return f;
  };

  /** A clock that moves only with {@link #advance}, together with the actors' manual scheduler. */
  static final class TestClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    void add(Duration d) {
      now = now.plus(d);
    }
  }

  private final TestClock clock = new TestClock();
  private ManualTime time;
  private TestProbe<Dispatcher.Command> dispatcher;
  private EventSourcedBehaviorTestKit<Command, Event, State> item;
  private final String id = ItemIds.random();

  private static final RetryPolicy POLICY = RetryPolicy.builder()
      .maxAttempts(3).initial(Duration.ofMinutes(1)).multiplier(2).jitter(RetryPolicy.Jitter.NONE).build();

  @BeforeEach
  void setUp() {
    time = ManualTime.get(testKit.system());
    dispatcher = testKit.createTestProbe(Dispatcher.Command.class);
    QueueSettings q = QueueSettings.builder("q")
        .concurrency(4).attemptTimeout(Duration.ofSeconds(10)).parkRetry(Duration.ofSeconds(30)).retryPolicy(POLICY).build();
    // Handlers run on the calling thread here: the test decides when they complete.
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), dispatcher.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4);
    item = EventSourcedBehaviorTestKit.create(testKit.system(), ItemEntity.create(id, Optional.empty(), rt));
  }

  // ---- helpers ----------------------------------------------------------------------------

  private void advance(Duration d) {
    clock.add(d);
    time.timePasses(d);
  }

  private void advanceExpectingNothing(Duration d) {
    advance(d);
    dispatcher.expectNoMessage(Duration.ofMillis(100));
  }

  private CommandResultWithReply<Command, Event, State, Reply> enqueue(String payload) {
    return enqueue(payload, null);
  }

  private CommandResultWithReply<Command, Event, State, Reply> enqueue(String payload, Instant notBefore) {
    return item.<Reply>runCommand(r -> new ItemEntity.Enqueue("q", "k", payload, 7, notBefore, null, r));
  }

  private Dispatcher.Request expectRequest() {
    return dispatcher.expectMessageClass(Dispatcher.Request.class);
  }

  private Invocation grantAndInvoke() throws InterruptedException {
    Dispatcher.Request r = expectRequest();
    r.replyTo().tell(new Dispatcher.Granted(r.itemId()));
    Invocation inv = invocations.poll(3, TimeUnit.SECONDS);
    assertNotNull(inv, "the handler was not invoked");
    return inv;
  }

  private void awaitStatus(ItemStatus status) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(status, item.getState().status());
      return null;
    });
  }

  private void expectPermitReturned() {
    assertInstanceOf(Dispatcher.ReturnPermit.class, dispatcher.receiveMessage());
  }

  // ---- tests ------------------------------------------------------------------------------

  @Test
  void enqueueCreatesAPendingItemAndAsksForAPermit() {
    var result = enqueue("{\"a\":1}");
    assertInstanceOf(ItemEntity.Enqueued.class, result.event());
    ItemEntity.Accepted reply = (ItemEntity.Accepted) result.reply();
    assertTrue(reply.created());
    assertEquals(ItemStatus.PENDING, reply.item().status());
    assertEquals(3, reply.item().maxAttempts());
    Dispatcher.Request r = expectRequest();
    assertEquals(id, r.itemId());
    assertEquals(7, r.priority());
  }

  @Test
  void enqueueOfAnExistingItemAnswersWithItAndPersistsNothing() {
    enqueue("{\"a\":1}");
    var again = item.<Reply>runCommand(r -> new ItemEntity.Enqueue("q", "k", "{\"a\":2}", 1, null, null, r));
    assertTrue(again.hasNoEvents());
    ItemEntity.Accepted reply = (ItemEntity.Accepted) again.reply();
    assertFalse(reply.created());
    assertEquals("{\"a\":1}", reply.item().payload());
  }

  @Test
  void grantedItemRunsItsHandlerAndSucceeds() throws Exception {
    enqueue("{\"a\":1}");
    Invocation inv = grantAndInvoke();
    assertEquals(1, inv.context().attempt());
    assertEquals(1, inv.context().execution());
    assertEquals(1, inv.context().payload().get("a").asInt());
    awaitStatus(ItemStatus.RUNNING);
    inv.result().complete(null);
    awaitStatus(ItemStatus.SUCCEEDED);
    expectPermitReturned();
    assertEquals(1, item.getState().attempts());
  }

  @Test
  void retriesTransientFailureAfterBackoff() throws Exception {
    enqueue("{}");
    grantAndInvoke().result().completeExceptionally(new TransientException("network down"));
    awaitStatus(ItemStatus.WAITING);
    expectPermitReturned();
    State waiting = item.getState();
    assertEquals(ErrorKind.TRANSIENT, waiting.lastErrorKind());
    assertEquals("network down", waiting.lastError());
    // First backoff is `initial` = 1 minute.
    advanceExpectingNothing(Duration.ofSeconds(59));
    advance(Duration.ofSeconds(2));
    Invocation second = grantAndInvoke();
    assertEquals(2, second.context().attempt());
    second.result().complete(null);
    awaitStatus(ItemStatus.SUCCEEDED);
  }

  @Test
  void deadLettersAfterTheLastAttempt() throws Exception {
    enqueue("{}");
    grantAndInvoke().result().completeExceptionally(new IllegalStateException("boom"));
    awaitStatus(ItemStatus.WAITING);
    expectPermitReturned();
    advance(Duration.ofMinutes(1));
    grantAndInvoke().result().completeExceptionally(new IllegalStateException("boom"));
    awaitStatus(ItemStatus.WAITING);
    expectPermitReturned();
    advance(Duration.ofMinutes(2));
    grantAndInvoke().result().completeExceptionally(new IllegalStateException("boom"));
    awaitStatus(ItemStatus.DEAD_LETTERED);
    assertEquals(3, item.getState().attempts());
    assertEquals(ErrorKind.TRANSIENT, item.getState().lastErrorKind());
  }

  @Test
  void deadLettersPermanentFailureAtOnce() throws Exception {
    enqueue("{}");
    grantAndInvoke().result().completeExceptionally(new PermanentException("bad payload"));
    awaitStatus(ItemStatus.DEAD_LETTERED);
    assertEquals(1, item.getState().attempts());
    assertEquals(ErrorKind.PERMANENT, item.getState().lastErrorKind());
  }

  @Test
  void honoursRetryAfterOfATransientFailure() throws Exception {
    enqueue("{}");
    grantAndInvoke().result().completeExceptionally(new TransientException("429", null, Duration.ofSeconds(5)));
    awaitStatus(ItemStatus.WAITING);
    expectPermitReturned();
    advance(Duration.ofSeconds(6));
    expectRequest();
  }

  @Test
  void capsAnEnormousRetryAfterAtAYear() throws Exception {
    enqueue("{}");
    grantAndInvoke().result().completeExceptionally(new TransientException("slow down", null, Duration.ofSeconds(Long.MAX_VALUE / 2)));
    awaitStatus(ItemStatus.WAITING);
    assertEquals(clock.instant().plus(Duration.ofDays(365)), item.getState().nextAttemptAt());
  }

  @Test
  void parksToolUnavailableWithoutBurningAnAttempt() throws Exception {
    enqueue("{}");
    grantAndInvoke().result().completeExceptionally(new ToolUnavailableException("parser missing", List.of("parser")));
    awaitStatus(ItemStatus.PARKED);
    expectPermitReturned();
    assertEquals(0, item.getState().attempts());
    advanceExpectingNothing(Duration.ofSeconds(29));
    advance(Duration.ofSeconds(2));
    Invocation again = grantAndInvoke();
    assertEquals(1, again.context().attempt(), "the parked attempt was given back");
    assertEquals(2, again.context().execution());
    again.result().complete(null);
    awaitStatus(ItemStatus.SUCCEEDED);
  }

  @Test
  void attemptTimeoutFailsWithTimeoutAndHeartbeatExtendsIt() throws Exception {
    enqueue("{}");
    Invocation inv = grantAndInvoke();
    awaitStatus(ItemStatus.RUNNING);
    advance(Duration.ofSeconds(8));
    inv.context().heartbeat();
    awaitStatus(ItemStatus.RUNNING);
    advance(Duration.ofSeconds(8));
    assertEquals(ItemStatus.RUNNING, item.getState().status(), "the heartbeat restarted the 10s timeout");
    advance(Duration.ofSeconds(3));
    awaitStatus(ItemStatus.WAITING);
    assertEquals(ErrorKind.TIMEOUT, item.getState().lastErrorKind());
  }

  @Test
  void lateOutcomeOfAnOldExecutionIsIgnored() throws Exception {
    enqueue("{}");
    Invocation first = grantAndInvoke();
    awaitStatus(ItemStatus.RUNNING);
    advance(Duration.ofSeconds(11));
    awaitStatus(ItemStatus.WAITING);
    // The first handler ignores its cancellation: after the kill grace the item goes on without it.
    advance(Duration.ofSeconds(10));
    expectPermitReturned();
    advance(Duration.ofMinutes(1));
    Invocation second = grantAndInvoke();
    awaitStatus(ItemStatus.RUNNING);
    // The timed-out first execution finishes now: it must not end the second attempt.
    first.result().complete(null);
    second.context().heartbeat();
    awaitStatus(ItemStatus.RUNNING);
    assertEquals(2, item.getState().executions());
    second.result().completeExceptionally(new PermanentException("no"));
    awaitStatus(ItemStatus.DEAD_LETTERED);
  }

  @Test
  void cancelsAPendingItemAndWithdrawsItsRequest() {
    enqueue("{}");
    expectRequest();
    var result = item.<Reply>runCommand(r -> new ItemEntity.Cancel("not needed", r));
    assertInstanceOf(ItemEntity.Cancelled.class, result.event());
    assertEquals(ItemStatus.CANCELLED, result.state().status());
    expectPermitReturned();
  }

  @Test
  void rejectsCancelOfASucceededItemAndRedriveOfAPendingOne() throws Exception {
    enqueue("{}");
    var redrive = item.<Reply>runCommand(ItemEntity.Redrive::new);
    assertTrue(redrive.hasNoEvents());
    assertInstanceOf(ItemEntity.Rejected.class, redrive.reply());
    grantAndInvoke().result().complete(null);
    awaitStatus(ItemStatus.SUCCEEDED);
    var cancel = item.<Reply>runCommand(r -> new ItemEntity.Cancel("late", r));
    assertTrue(cancel.hasNoEvents());
    assertEquals("cancel", ((ItemEntity.Rejected) cancel.reply()).action());
  }

  @Test
  void redriveSendsADeadLetterBackWithAttemptsStartingAgain() throws Exception {
    enqueue("{}");
    grantAndInvoke().result().completeExceptionally(new PermanentException("bad"));
    awaitStatus(ItemStatus.DEAD_LETTERED);
    expectPermitReturned();
    var result = item.<Reply>runCommand(ItemEntity.Redrive::new);
    assertInstanceOf(ItemEntity.Redriven.class, result.event());
    assertEquals(ItemStatus.PENDING, result.state().status());
    assertEquals(0, result.state().attempts());
    Invocation again = grantAndInvoke();
    assertEquals(1, again.context().attempt());
    assertEquals(2, again.context().execution());
  }

  @Test
  void answersNotFoundForAnItemThatWasNeverEnqueued() {
    var result = item.<Reply>runCommand(ItemEntity.GetItem::new);
    assertInstanceOf(ItemEntity.NotFound.class, result.reply());
    assertFalse(result.state().exists());
  }

  @Test
  void delayedItemAsksForAPermitOnlyWhenDue() {
    enqueue("{}", clock.instant().plus(Duration.ofMinutes(10)));
    advanceExpectingNothing(Duration.ofMinutes(9));
    advance(Duration.ofMinutes(2));
    expectRequest();
  }

  @Test
  void recoveryReArmsTheBackoffTimer() throws Exception {
    enqueue("{}");
    grantAndInvoke().result().completeExceptionally(new TransientException("flaky"));
    awaitStatus(ItemStatus.WAITING);
    expectPermitReturned();
    var restarted = item.restart();
    assertEquals(ItemStatus.WAITING, restarted.state().status());
    advanceExpectingNothing(Duration.ofSeconds(55));
    advance(Duration.ofSeconds(10));
    Invocation second = grantAndInvoke();
    assertEquals(2, second.context().attempt());
  }

  @Test
  void recoveryInRunningRecordsTheLostAttemptAsOrphaned() throws Exception {
    enqueue("{}");
    grantAndInvoke();
    awaitStatus(ItemStatus.RUNNING);
    // A restart while RUNNING is what a crash mid-attempt looks like to the next incarnation.
    item.restart();
    awaitStatus(ItemStatus.WAITING);
    State s = item.getState();
    assertEquals(ErrorKind.ORPHANED, s.lastErrorKind());
    assertEquals(1, s.attempts(), "the orphaned attempt counts");
  }

  @Test
  void itemsOfAQueueWithToolsReportEachOutcomeIncludingTimeoutsToTheToolSupervisor() throws Exception {
    TestProbe<ToolSupervisor.Command> supervisor = testKit.createTestProbe(ToolSupervisor.Command.class);
    TestProbe<Dispatcher.Command> permits = testKit.createTestProbe(Dispatcher.Command.class);
    QueueSettings q = QueueSettings.builder("q")
        .attemptTimeout(Duration.ofSeconds(10)).retryPolicy(POLICY).tools(List.of("db")).build();
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), permits.getRef(), Runnable::run, clock,
        new ToolHealth(List.of("db")), supervisor.getRef(), 4);
    var withTools = EventSourcedBehaviorTestKit.<Command, Event, State>create(
        testKit.system(), ItemEntity.create(ItemIds.random(), Optional.empty(), rt));
    withTools.<Reply>runCommand(r -> new ItemEntity.Enqueue("q", null, "{}", 5, null, null, r));

    grantFrom(permits);
    assertNotNull(invocations.poll(3, TimeUnit.SECONDS));
    // The handler never answers: the attempt times out, which the tool's breaker must count.
    advance(Duration.ofSeconds(11));
    ToolSupervisor.Outcome timedOut = supervisor.expectMessageClass(ToolSupervisor.Outcome.class);
    assertEquals(List.of("db"), timedOut.tools());
    assertEquals(ErrorKind.TIMEOUT, timedOut.kind());
    // The report goes out before the failure is persisted: wait for the backoff timer to exist.
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(ItemStatus.WAITING, withTools.getState().status());
      return null;
    });

    advance(Duration.ofMinutes(1));
    grantFrom(permits);
    invocations.poll(3, TimeUnit.SECONDS).result().complete(null);
    ToolSupervisor.Outcome ok = supervisor.expectMessageClass(ToolSupervisor.Outcome.class);
    assertEquals(null, ok.kind());
  }

  // ---- one attempt at a time ---------------------------------------------------------------

  @Test
  void aTimedOutAttemptSignalsItsHandlerAndHoldsThePermitUntilTheHandlerEnds() throws Exception {
    enqueue("{}");
    Invocation first = grantAndInvoke();
    awaitStatus(ItemStatus.RUNNING);
    assertFalse(first.context().isCancelled());
    advance(Duration.ofSeconds(11));
    awaitStatus(ItemStatus.WAITING);
    assertTrue(first.context().isCancelled(), "the handler was told to stop");
    assertTrue(first.context().cancelled().toCompletableFuture().isDone());
    // Backoff over, but the first handler still runs: no permit given back, none asked for.
    advanceExpectingNothing(Duration.ofSeconds(5));
    first.result().completeExceptionally(new InterruptedException("stopped"));
    expectPermitReturned();
    advance(Duration.ofMinutes(1));
    Invocation second = grantAndInvoke();
    assertEquals(2, second.context().execution());
  }

  @Test
  void aHandlerThatIgnoresItsCancellationIsWaitedForOnlyTheKillGrace() throws Exception {
    enqueue("{}");
    grantAndInvoke();
    awaitStatus(ItemStatus.RUNNING);
    advance(Duration.ofSeconds(11));
    awaitStatus(ItemStatus.WAITING);
    advanceExpectingNothing(Duration.ofSeconds(8));
    advance(Duration.ofSeconds(3));
    expectPermitReturned();
    advance(Duration.ofMinutes(1));
    assertEquals(2, grantAndInvoke().context().execution());
  }

  @Test
  void aTimeoutOnTheLastAttemptDeadLettersButKeepsThePermitUntilTheHandlerEnds() throws Exception {
    QueueSettings q = QueueSettings.builder("q").attemptTimeout(Duration.ofSeconds(2))
        .retryPolicy(RetryPolicy.builder().maxAttempts(1).build()).build();
    TestProbe<Dispatcher.Command> permits = testKit.createTestProbe(Dispatcher.Command.class);
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), permits.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4);
    var one = EventSourcedBehaviorTestKit.<Command, Event, State>create(
        testKit.system(), ItemEntity.create(ItemIds.random(), Optional.empty(), rt));
    one.<Reply>runCommand(r -> new ItemEntity.Enqueue("q", null, "{}", 5, null, null, r));
    grantFrom(permits);
    Invocation inv = invocations.poll(3, TimeUnit.SECONDS);
    advance(Duration.ofSeconds(3));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      assertEquals(ItemStatus.DEAD_LETTERED, one.getState().status());
      return null;
    });
    assertTrue(inv.context().isCancelled());
    permits.expectNoMessage(Duration.ofMillis(100));
    inv.result().complete(null);
    assertInstanceOf(Dispatcher.ReturnPermit.class, permits.receiveMessage());
  }

  @Test
  void cancellingARunningItemSignalsItsHandlerAndHoldsThePermitUntilItEnds() throws Exception {
    enqueue("{}");
    Invocation inv = grantAndInvoke();
    awaitStatus(ItemStatus.RUNNING);
    var result = item.<Reply>runCommand(r -> new ItemEntity.Cancel("enough", r));
    assertEquals(ItemStatus.CANCELLED, result.state().status());
    assertTrue(inv.context().isCancelled(), "the handler was told to stop");
    dispatcher.expectNoMessage(Duration.ofMillis(100));
    inv.result().completeExceptionally(new InterruptedException());
    expectPermitReturned();
  }

  @Test
  void aBlockingHandlerIsInterruptedByItsTimeoutAndTheNextAttemptStartsOnlyAfterItReturned() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();
    try {
      java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger maxRunning = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.CountDownLatch interrupted = new java.util.concurrent.CountDownLatch(1);
      JobHandler blocking = ctx -> {
        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
          Thread.sleep(60_000);
        } catch (InterruptedException e) {
          interrupted.countDown();
          Thread.sleep(200); // cleaning up takes a moment
          throw new TransientException("interrupted");
        } finally {
          running.decrementAndGet();
        }
        return CompletableFuture.completedFuture(null);
      };
      QueueSettings q = QueueSettings.builder("q").attemptTimeout(Duration.ofSeconds(2))
          .retryPolicy(RetryPolicy.builder().maxAttempts(3).initial(Duration.ofMillis(1)).jitter(RetryPolicy.Jitter.NONE).build())
          .build();
      TestProbe<Dispatcher.Command> permits = testKit.createTestProbe(Dispatcher.Command.class);
      ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", blocking), permits.getRef(), pool, clock,
          new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4);
      var b = EventSourcedBehaviorTestKit.<Command, Event, State>create(
          testKit.system(), ItemEntity.create(ItemIds.random(), Optional.empty(), rt));
      b.<Reply>runCommand(r -> new ItemEntity.Enqueue("q", null, "{}", 5, null, null, r));
      grantFrom(permits);
      testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
        assertEquals(1, running.get());
        return null;
      });
      advance(Duration.ofSeconds(3));
      assertTrue(interrupted.await(3, TimeUnit.SECONDS), "the handler's thread was interrupted");
      // The backoff (1ms) is over at once, but the next permit is asked for only after the handler returned.
      assertInstanceOf(Dispatcher.ReturnPermit.class, permits.receiveMessage(Duration.ofSeconds(3)));
      assertEquals(0, running.get(), "the permit came back only after the handler returned");
      advance(Duration.ofMillis(5));
      assertInstanceOf(Dispatcher.Request.class, permits.receiveMessage(Duration.ofSeconds(3)));
      assertEquals(1, maxRunning.get());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aStopWhileRunningWaitsForTheSignalledHandlerAndRecordsItsOutcomeBeforeTheItemMoves() throws Exception {
    QueueSettings q = QueueSettings.builder("q").retryPolicy(POLICY).build();
    TestProbe<Dispatcher.Command> permits = testKit.createTestProbe(Dispatcher.Command.class);
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), permits.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4);
    String stopId = ItemIds.random();
    var actor = testKit.spawn(ItemEntity.create(stopId, Optional.empty(), rt));
    TestProbe<Reply> replies = testKit.createTestProbe(Reply.class);
    actor.tell(new ItemEntity.Enqueue("q", null, "{}", 5, null, null, replies.getRef()));
    replies.receiveMessage();
    grantFrom(permits);
    Invocation inv = invocations.poll(3, TimeUnit.SECONDS);
    assertNotNull(inv);
    TestProbe<Object> watcher = testKit.createTestProbe();
    actor.tell(new ItemEntity.Stop());
    actor.tell(new ItemEntity.GetItem(replies.getRef()));
    replies.receiveMessage();
    assertFalse(inv.context().isCancelled(), "within the stop grace the attempt may still end on its own");
    advance(q.stopGrace());
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      assertTrue(inv.context().isCancelled(), "the handler was told to stop");
      return null;
    });
    actor.tell(new ItemEntity.GetItem(replies.getRef()));
    assertEquals(ItemStatus.RUNNING, ((ItemEntity.Accepted) replies.receiveMessage()).item().status(),
        "still here: it waits for its handler");
    inv.result().completeExceptionally(new TransientException("stopped"));
    watcher.expectTerminated(actor, Duration.ofSeconds(3));
    // Its outcome was recorded here, so the new node finds no orphan.
    var events = org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(testKit.system())
        .persistedInStorage(ItemEntity.persistenceId(stopId).id());
    assertInstanceOf(ItemEntity.AttemptFailed.class, events.get(events.size() - 1));
  }

  @Test
  void aStopWhileRunningGoesOnAfterTheKillGraceWhenTheHandlerDoesNotEnd() throws Exception {
    QueueSettings q = QueueSettings.builder("q").retryPolicy(POLICY).attemptKillGrace(Duration.ofSeconds(5)).build();
    TestProbe<Dispatcher.Command> permits = testKit.createTestProbe(Dispatcher.Command.class);
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), permits.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4);
    var actor = testKit.spawn(ItemEntity.create(ItemIds.random(), Optional.empty(), rt));
    TestProbe<Reply> replies = testKit.createTestProbe(Reply.class);
    actor.tell(new ItemEntity.Enqueue("q", null, "{}", 5, null, null, replies.getRef()));
    replies.receiveMessage();
    grantFrom(permits);
    assertNotNull(invocations.poll(3, TimeUnit.SECONDS));
    TestProbe<Object> watcher = testKit.createTestProbe();
    actor.tell(new ItemEntity.Stop());
    actor.tell(new ItemEntity.GetItem(replies.getRef()));
    replies.receiveMessage();
    advance(q.stopGrace());
    actor.tell(new ItemEntity.GetItem(replies.getRef()));
    replies.receiveMessage();
    advance(Duration.ofSeconds(6));
    watcher.expectTerminated(actor, Duration.ofSeconds(3));
  }

  @Test
  void aStopWhileRunningLetsAnAttemptThatEndsWithinTheStopGraceKeepItsOutcome() throws Exception {
    QueueSettings q = QueueSettings.builder("q").retryPolicy(POLICY).stopGrace(Duration.ofSeconds(5)).build();
    TestProbe<Dispatcher.Command> permits = testKit.createTestProbe(Dispatcher.Command.class);
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), permits.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4);
    String stopId = ItemIds.random();
    var actor = testKit.spawn(ItemEntity.create(stopId, Optional.empty(), rt));
    TestProbe<Reply> replies = testKit.createTestProbe(Reply.class);
    actor.tell(new ItemEntity.Enqueue("q", null, "{}", 5, null, null, replies.getRef()));
    replies.receiveMessage();
    grantFrom(permits);
    Invocation inv = invocations.poll(3, TimeUnit.SECONDS);
    assertNotNull(inv);
    TestProbe<Object> watcher = testKit.createTestProbe();
    actor.tell(new ItemEntity.Stop());
    advance(Duration.ofSeconds(4));
    actor.tell(new ItemEntity.GetItem(replies.getRef()));
    assertEquals(ItemStatus.RUNNING, ((ItemEntity.Accepted) replies.receiveMessage()).item().status(),
        "it waits for its attempt");
    inv.result().complete(null);
    watcher.expectTerminated(actor, Duration.ofSeconds(3));
    assertFalse(inv.context().isCancelled(), "the handler was never told to stop");
    var events = org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(testKit.system())
        .persistedInStorage(ItemEntity.persistenceId(stopId).id());
    assertInstanceOf(ItemEntity.Succeeded.class, events.get(events.size() - 1), "the attempt kept its success, no ORPHANED retry");
  }

  // ---- database outages ------------------------------------------------------------------

  @Test
  void aFailedJournalWriteRestartsTheItemWithBackoffAndItGoesOn() throws Exception {
    QueueSettings q = QueueSettings.builder("q").retryPolicy(POLICY).build();
    TestProbe<Dispatcher.Command> permits = testKit.createTestProbe(Dispatcher.Command.class);
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), permits.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4);
    var actor = testKit.spawn(ItemEntity.create(ItemIds.random(), Optional.empty(), rt));
    TestProbe<Reply> replies = testKit.createTestProbe(Reply.class);
    actor.tell(new ItemEntity.Enqueue("q", null, "{}", 5, null, null, replies.getRef()));
    replies.receiveMessage();
    var journal = org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(testKit.system());
    // The database is down when the permit comes: AttemptStarted cannot be written.
    journal.failNextPersisted();
    grantFrom(permits);
    // Restarted after its backoff and recovered: it asks for a permit again, and this time the attempt runs.
    Dispatcher.Request again = testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      time.timePasses(ItemEntity.PERSIST_BACKOFF_MIN);
      Dispatcher.Command m = permits.receiveMessage(Duration.ofMillis(200));
      if (m instanceof Dispatcher.Request r) {
        return r;
      }
      throw new AssertionError("not yet: " + m);
    });
    again.replyTo().tell(new Dispatcher.Granted(again.itemId()));
    Invocation inv = invocations.poll(3, TimeUnit.SECONDS);
    assertNotNull(inv, "the item went on after the failed write");
    inv.result().complete(null);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      actor.tell(new ItemEntity.GetItem(replies.getRef()));
      assertEquals(ItemStatus.SUCCEEDED, ((ItemEntity.Accepted) replies.receiveMessage()).item().status());
      return null;
    });
  }

  @Test
  void anItemWhoseJournalLostItsEnqueuedIsLeftAloneAsUnknownInsteadOfCrashLooping() throws Exception {
    String headless = ItemIds.random();
    var journal = org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(testKit.system());
    // What a purge that raced a redrive leaves: the redrive, without the events before it.
    journal.persistForRecovery(ItemEntity.persistenceId(headless).id(), List.of(new ItemEntity.Redriven(clock.instant())));
    QueueSettings q = QueueSettings.builder("q").retryPolicy(POLICY).build();
    TestProbe<Dispatcher.Command> permits = testKit.createTestProbe(Dispatcher.Command.class);
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), permits.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4);
    long before = ItemEntity.HEADLESS_JOURNALS.get();
    var actor = testKit.spawn(ItemEntity.create(headless, Optional.empty(), rt));
    TestProbe<Reply> replies = testKit.createTestProbe(Reply.class);
    actor.tell(new ItemEntity.GetItem(replies.getRef()));
    assertInstanceOf(ItemEntity.NotFound.class, replies.receiveMessage());
    assertEquals(before + 1, ItemEntity.HEADLESS_JOURNALS.get(), "counted");
    permits.expectNoMessage(Duration.ofMillis(100));
    // Its key can be enqueued again: a new life of the id.
    actor.tell(new ItemEntity.Enqueue("q", null, "{}", 5, null, null, replies.getRef()));
    ItemEntity.Accepted again = (ItemEntity.Accepted) replies.receiveMessage();
    assertTrue(again.created());
    assertEquals(ItemStatus.PENDING, again.item().status());
  }

  /** Grants the next permit request, passing over the releases of earlier attempts. */
  private static void grantFrom(TestProbe<Dispatcher.Command> permits) {
    Dispatcher.Command m = permits.receiveMessage();
    while (!(m instanceof Dispatcher.Request)) {
      m = permits.receiveMessage();
    }
    Dispatcher.Request r = (Dispatcher.Request) m;
    r.replyTo().tell(new Dispatcher.Granted(r.itemId()));
  }

  // ---- the first attempt in the enqueue's own write -----------------------------------------

  private ActorRef<Command> spawnStartingInEnqueue(String itemId) {
    QueueSettings q = QueueSettings.builder("q")
        .concurrency(4).attemptTimeout(Duration.ofSeconds(10)).parkRetry(Duration.ofSeconds(30)).retryPolicy(POLICY).build();
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), dispatcher.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4, Duration.ofDays(365), true);
    return testKit.spawn(ItemEntity.create(itemId, Optional.empty(), rt));
  }

  private List<Class<?>> persisted(String itemId) {
    return PersistenceTestKit.create(testKit.system()).persistedInStorage(ItemEntity.persistenceId(itemId).id())
        .stream().<Class<?>>map(Object::getClass).toList();
  }

  @Test
  void a_new_item_with_a_permit_free_is_enqueued_and_started_in_one_write() throws Exception {
    String itemId = ItemIds.random();
    ActorRef<Command> ref = spawnStartingInEnqueue(itemId);
    TestProbe<Reply> replies = testKit.createTestProbe(Reply.class);
    ref.tell(new ItemEntity.Enqueue("q", null, "{}", 5, null, null, replies.getRef()));
    Dispatcher.TryRequest asked = dispatcher.expectMessageClass(Dispatcher.TryRequest.class);
    assertEquals(itemId, asked.request().itemId());
    // A read that comes meanwhile waits for the enqueue, and then sees the item.
    TestProbe<Reply> reader = testKit.createTestProbe(Reply.class);
    ref.tell(new ItemEntity.GetItem(reader.getRef()));
    asked.request().replyTo().tell(new Dispatcher.Granted(itemId));

    ItemEntity.Accepted reply = (ItemEntity.Accepted) replies.receiveMessage();
    assertTrue(reply.created());
    assertEquals(ItemStatus.RUNNING, reply.item().status(), "the answer comes after the one write holding both events");
    assertEquals(List.of(ItemEntity.Enqueued.class, ItemEntity.AttemptStarted.class), persisted(itemId));
    assertInstanceOf(ItemEntity.Accepted.class, reader.receiveMessage());
    Invocation inv = invocations.poll(3, TimeUnit.SECONDS);
    assertNotNull(inv, "the handler was not invoked");
    assertEquals(1, inv.context().execution());
    inv.result().complete(null);
    assertInstanceOf(Dispatcher.ReturnPermit.class, dispatcher.receiveMessage(), "the permit goes back after the attempt");
    assertEquals(List.of(ItemEntity.Enqueued.class, ItemEntity.AttemptStarted.class, ItemEntity.Succeeded.class), persisted(itemId));
  }

  @Test
  void a_new_item_with_no_permit_free_is_enqueued_alone_and_then_waits_for_one() throws Exception {
    String itemId = ItemIds.random();
    ActorRef<Command> ref = spawnStartingInEnqueue(itemId);
    TestProbe<Reply> replies = testKit.createTestProbe(Reply.class);
    ref.tell(new ItemEntity.Enqueue("q", null, "{}", 5, null, null, replies.getRef()));
    Dispatcher.TryRequest asked = dispatcher.expectMessageClass(Dispatcher.TryRequest.class);
    asked.request().replyTo().tell(new Dispatcher.Busy(itemId));

    ItemEntity.Accepted reply = (ItemEntity.Accepted) replies.receiveMessage();
    assertEquals(ItemStatus.PENDING, reply.item().status());
    assertEquals(List.of(ItemEntity.Enqueued.class), persisted(itemId));
    Dispatcher.Request r = expectRequest();
    r.replyTo().tell(new Dispatcher.Granted(itemId));
    assertNotNull(invocations.poll(3, TimeUnit.SECONDS), "the handler was not invoked");
  }

  @Test
  void a_delayed_item_is_enqueued_without_asking_for_a_permit_at_once() {
    String itemId = ItemIds.random();
    ActorRef<Command> ref = spawnStartingInEnqueue(itemId);
    TestProbe<Reply> replies = testKit.createTestProbe(Reply.class);
    ref.tell(new ItemEntity.Enqueue("q", null, "{}", 5, clock.instant().plusSeconds(60), null, replies.getRef()));
    assertEquals(ItemStatus.PENDING, ((ItemEntity.Accepted) replies.receiveMessage()).item().status());
    assertEquals(List.of(ItemEntity.Enqueued.class), persisted(itemId));
    advance(Duration.ofSeconds(60));
    expectRequest();
  }
}
