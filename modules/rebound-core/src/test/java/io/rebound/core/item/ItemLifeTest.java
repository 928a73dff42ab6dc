package io.rebound.core.item;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.item.ItemEntity.Event;
import io.rebound.core.item.ItemEntity.State;
import io.rebound.core.item.ItemLife.Decision;
import io.rebound.core.item.ItemLife.Incarnation;
import io.rebound.core.item.ItemLife.Intent;
import io.rebound.core.item.ItemTransition.Cause;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The item's decisions, without actors: what it writes and what it then does. */
class ItemLifeTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final RetryPolicy POLICY = RetryPolicy.builder().maxAttempts(2).initial(Duration.ofSeconds(1))
      .jitter(RetryPolicy.Jitter.NONE).build();
  private static final QueueSettings QUEUE = QueueSettings.builder("q").retryPolicy(POLICY).tools(List.of("db")).build();
  private static final ItemEntity.Enqueue ENQUEUE = new ItemEntity.Enqueue("q", null, "{}", 0, null, null, null);

  private static ItemLife.Context context(Incarnation inc, List<String> toolsDown) {
    return new ItemLife.Context(T0, QUEUE, true, toolsDown, POLICY, QUEUE, new Random(1), Duration.ofSeconds(10), true, inc, false);
  }

  private static Incarnation enqueueing() {
    return new Incarnation(ENQUEUE, false, false, null, false, false, false, false, false, false);
  }

  private static Incarnation running(int execution) {
    return new Incarnation(null, false, true, execution, false, false, false, false, false, false);
  }

  private static Incarnation stopping(int execution, boolean signalled) {
    return new Incarnation(null, false, true, execution, true, signalled, false, false, false, false);
  }

  private static State runningState() {
    return State.empty("i")
        .apply(new ItemEntity.Enqueued("i", "q", null, "{}", 0, T0, null, null))
        .apply(new ItemEntity.AttemptStarted(1, 1, T0));
  }

  private static List<Class<?>> kinds(List<?> things) {
    return things.stream().<Class<?>>map(Object::getClass).toList();
  }

  @Test
  void aNewItemDueAtOnceAsksForAFreePermitBeforeWritingAnything() {
    Decision d = ItemLife.decide(State.empty("i"), ENQUEUE, context(Incarnation.FRESH, List.of()));
    assertEquals(List.of(), d.events());
    assertTrue(d.first().stream().anyMatch(i -> i instanceof ItemLife.TryFirstPermit t && t.enqueue() == ENQUEUE));
    assertEquals(null, d.answer(), "answered once written");
  }

  @Test
  void aFreeFirstPermitWritesTheEnqueueAndTheFirstAttemptInOneWrite() {
    Decision d = ItemLife.decide(State.empty("i"), new ItemEntity.PermitGranted(), context(enqueueing(), List.of()));
    assertEquals(List.of(ItemEntity.Enqueued.class, ItemEntity.AttemptStarted.class), kinds(d.events()));
    assertTrue(d.first().contains(new ItemLife.HoldPermit()));
    assertTrue(d.then().contains(new ItemLife.InvokeHandler()));
    assertInstanceOf(ItemLife.AnswerItem.class, d.answer());
    assertTrue(d.unstash(), "what waited for the write is taken up");
  }

  @Test
  void aToolDownAtTheFirstPermitWritesTheEnqueueAloneAndGivesThePermitBack() {
    Decision d = ItemLife.decide(State.empty("i"), new ItemEntity.PermitGranted(), context(enqueueing(), List.of("db")));
    assertEquals(List.of(ItemEntity.Enqueued.class), kinds(d.events()));
    assertTrue(d.first().contains(new ItemLife.ReturnPermit()));
    assertFalse(d.then().contains(new ItemLife.InvokeHandler()));
  }

  @Test
  void commandsThatComeWhileTheFirstPermitIsAskedForWait() {
    assertTrue(ItemLife.decide(State.empty("i"), new ItemEntity.GetItem(null), context(enqueueing(), List.of())).stash());
  }

  @Test
  void aLateOutcomeIsFencedOffByItsExecutionNumber() {
    Decision d = ItemLife.decide(runningState(), new ItemEntity.AttemptCompleted(7, null, null, null, null, List.of()),
        context(running(1), List.of()));
    assertEquals(List.of(), d.events());
  }

  @Test
  void theLastAttemptFailingWritesItsFailureAndItsDeadLetterTogether() {
    State second = runningState()
        .apply(new ItemEntity.AttemptFailed(1, 1, ErrorKind.TRANSIENT, "x", null, T0, T0))
        .apply(new ItemEntity.AttemptStarted(2, 2, T0));
    Decision d = ItemLife.decide(second, new ItemEntity.AttemptCompleted(2, ErrorKind.TRANSIENT, "again", null, null, List.of()),
        context(running(2), List.of()));
    List<Event> events = d.events();
    assertEquals(List.of(ItemEntity.AttemptFailed.class, ItemEntity.DeadLettered.class), kinds(events));
    assertEquals(null, ((ItemEntity.AttemptFailed) events.get(0)).nextAttemptAt());
    assertTrue(d.then().contains(new ItemLife.Publish(Cause.ATTEMPT_FAILED, T0, null)), "a failed attempt, timed from its start");
  }

  @Test
  void aHandlerSayingItsToolIsUnavailableParksTheItemAndGivesTheAttemptBack() {
    Decision d = ItemLife.decide(runningState(),
        new ItemEntity.AttemptCompleted(1, ErrorKind.TOOL_UNAVAILABLE, "db refused", null, null, List.of("db")),
        context(running(1), List.of()));
    ItemEntity.Parked parked = (ItemEntity.Parked) d.events().get(0);
    assertEquals(0, parked.attempts(), "the attempt is given back");
    assertEquals(List.of("db"), parked.tools());
    assertTrue(d.then().contains(new ItemLife.ParkOnTools()));
    assertTrue(d.first().contains(new ItemLife.ReportToTools(List.of("db"), ErrorKind.TOOL_UNAVAILABLE, "db refused")));
  }

  @Test
  void aCancelOfARunningItemSignalsItsHandlerAndKeepsThePermitUntilTheHandlerEnds() {
    Decision d = ItemLife.decide(runningState(), new ItemEntity.Cancel("no", null), context(running(1), List.of()));
    assertEquals(List.of(ItemEntity.Cancelled.class), kinds(d.events()));
    assertTrue(d.first().contains(new ItemLife.SignalHandler()));
    State cancelled = runningState().apply(d.events().get(0));
    List<Intent> aligned = ItemLife.align(cancelled, running(1), T0, Duration.ofSeconds(10));
    assertFalse(aligned.contains(new ItemLife.ReturnPermit()), "the handler still runs");
    List<Intent> afterEnd = ItemLife.align(cancelled, new Incarnation(null, false, true, null, false, false, false, false, false, false), T0,
        Duration.ofSeconds(10));
    assertTrue(afterEnd.contains(new ItemLife.ReturnPermit()), "given back once it ended");
  }

  @Test
  void aCancelledItemWhoseHandlerEndsDuringAHandoffGivesItsPermitBackBeforeItStops() {
    State cancelled = runningState().apply(new ItemEntity.Cancelled("no", T0));
    ItemEntity.AttemptCompleted ended = new ItemEntity.AttemptCompleted(1, null, null, null, null, List.of());
    Decision d = ItemLife.decide(cancelled, ended, context(stopping(1, false), List.of()));
    assertEquals(List.of(), d.events(), "the late outcome of a cancelled item writes nothing");
    assertTrue(d.first().contains(new ItemLife.HandlerEnded()));
    assertTrue(d.first().contains(new ItemLife.TellSelf(new ItemEntity.Stop())));
    assertTrue(d.first().contains(new ItemLife.ReturnPermit()), d.first().toString());
  }

  @Test
  void aHandlerOutlivingItsKillGraceDuringAHandoffHasItsPermitGivenBackAsTheItemStops() {
    Decision d = ItemLife.decide(runningState(), new ItemEntity.HandlerGraceOver(1), context(stopping(1, true), List.of()));
    assertTrue(d.first().contains(new ItemLife.TellSelf(new ItemEntity.Stop())));
    assertTrue(d.first().contains(new ItemLife.ReturnPermit()), d.first().toString());
  }

  @Test
  void aTerminalItemRejectsACancelAndOnlyADeadLetterIsRedriven() {
    State succeeded = runningState().apply(new ItemEntity.Succeeded(1, 1, T0));
    assertInstanceOf(ItemLife.AnswerRejected.class,
        ItemLife.decide(succeeded, new ItemEntity.Cancel("x", null), context(Incarnation.FRESH, List.of())).answer());
    assertInstanceOf(ItemLife.AnswerRejected.class,
        ItemLife.decide(succeeded, new ItemEntity.Redrive(null), context(Incarnation.FRESH, List.of())).answer());
  }

  @Test
  void anItemDueBeyondTheHorizonLeavesMemoryAndOneWithinItWaitsOnItsTimer() {
    State later = State.empty("i").apply(new ItemEntity.Enqueued("i", "q", null, "{}", 0, T0, T0.plusSeconds(60), null));
    assertTrue(ItemLife.align(later, Incarnation.FRESH, T0, Duration.ofSeconds(10)).contains(new ItemLife.Passivate()));
    State soon = State.empty("i").apply(new ItemEntity.Enqueued("i", "q", null, "{}", 0, T0, T0.plusSeconds(5), null));
    List<Intent> aligned = ItemLife.align(soon, Incarnation.FRESH, T0, Duration.ofSeconds(10));
    assertFalse(aligned.contains(new ItemLife.Passivate()));
    assertTrue(aligned.stream().anyMatch(i -> i instanceof ItemLife.StartTimer t && t.timer() == ItemLife.Timer.DUE
        && t.delay().equals(Duration.ofSeconds(5))));
  }

  @Test
  void aStopWhileRunningLetsTheAttemptRunOnForTheStopGraceBeforeItsHandlerIsTold() {
    Decision d = ItemLife.decide(runningState(), new ItemEntity.Stop(), context(running(1), List.of()));
    assertTrue(d.first().contains(new ItemLife.StopWhenHandlerEnds()));
    assertFalse(d.first().contains(new ItemLife.SignalHandler()), "not told yet");
    assertTrue(d.first().contains(new ItemLife.StartTimer(ItemLife.Timer.STOP, new ItemEntity.StopGraceOver(1), QUEUE.stopGrace())));
    assertEquals(List.of(), ItemLife.decide(runningState(), new ItemEntity.Stop(), context(stopping(1, false), List.of())).first(),
        "a second Stop keeps the first one's grace");
    Decision over = ItemLife.decide(runningState(), new ItemEntity.StopGraceOver(1), context(stopping(1, false), List.of()));
    assertEquals(List.of(new ItemLife.SignalHandler()), over.first());
  }

  @Test
  void aTransientFailureWithinTheStopGraceKeepsItsKindButOneAfterTheHandlerWasToldIsOrphaned() {
    ItemEntity.AttemptCompleted failed = new ItemEntity.AttemptCompleted(1, ErrorKind.TRANSIENT, "boom", null, null, List.of());
    Decision own = ItemLife.decide(runningState(), failed, context(stopping(1, false), List.of()));
    assertEquals(ErrorKind.TRANSIENT, ((ItemEntity.AttemptFailed) own.events().get(0)).kind());
    Decision cut = ItemLife.decide(runningState(), failed, context(stopping(1, true), List.of()));
    assertEquals(ErrorKind.ORPHANED, ((ItemEntity.AttemptFailed) cut.events().get(0)).kind());
  }

  @Test
  void aStopFromTheNodesShutdownTellsTheHandlerAtOnceSinceTheAttemptsHadTheirShutdownTimeout() {
    ItemLife.Context shuttingDown = new ItemLife.Context(T0, QUEUE, true, List.of(), POLICY, QUEUE, new Random(1),
        Duration.ofSeconds(10), true, running(1), true);
    Decision d = ItemLife.decide(runningState(), new ItemEntity.Stop(), shuttingDown);
    assertEquals(List.of(new ItemLife.StopWhenHandlerEnds(), new ItemLife.SignalHandler()), d.first());
  }

  private static State pending() {
    return State.empty("i").apply(new ItemEntity.Enqueued("i", "q", null, "{}", 0, T0, null, null));
  }

  private static Incarnation passivating(boolean permitRequested, boolean changed) {
    return new Incarnation(null, permitRequested, false, null, false, false, false, false, true, changed);
  }

  @Test
  void anItemWokenAfterItAskedToPassivateWakesItselfWhenItStopsSinceItsDispatcherForgetsItsRequest() {
    // Deferred by a full queue, it asked to passivate; its dispatcher woke it before the stop came.
    Decision d = ItemLife.decide(pending(), new ItemEntity.Stop(), context(passivating(true, false), List.of()));
    assertTrue(d.first().contains(new ItemLife.WakeSelf()), d.first().toString());
  }

  @Test
  void anItemThatAskedToPassivateAndGotNoWorkSinceJustStops() {
    Decision d = ItemLife.decide(pending(), new ItemEntity.Stop(), context(passivating(false, false), List.of()));
    assertFalse(d.first().contains(new ItemLife.WakeSelf()), d.first().toString());
    assertTrue(d.stop());
  }
}
