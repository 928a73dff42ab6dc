package io.rebound.core.item;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.item.ItemEntity.AttemptCompleted;
import io.rebound.core.item.ItemEntity.AttemptFailed;
import io.rebound.core.item.ItemEntity.AttemptStarted;
import io.rebound.core.item.ItemEntity.AttemptTimedOut;
import io.rebound.core.item.ItemEntity.Cancel;
import io.rebound.core.item.ItemEntity.Cancelled;
import io.rebound.core.item.ItemEntity.Command;
import io.rebound.core.item.ItemEntity.DeadLettered;
import io.rebound.core.item.ItemEntity.Due;
import io.rebound.core.item.ItemEntity.Enqueue;
import io.rebound.core.item.ItemEntity.Enqueued;
import io.rebound.core.item.ItemEntity.Event;
import io.rebound.core.item.ItemEntity.GetItem;
import io.rebound.core.item.ItemEntity.HandlerGraceOver;
import io.rebound.core.item.ItemEntity.StopGraceOver;
import io.rebound.core.item.ItemEntity.Heartbeat;
import io.rebound.core.item.ItemEntity.Idle;
import io.rebound.core.item.ItemEntity.Parked;
import io.rebound.core.item.ItemEntity.PermitBusy;
import io.rebound.core.item.ItemEntity.PermitDeferred;
import io.rebound.core.item.ItemEntity.PermitGranted;
import io.rebound.core.item.ItemEntity.RecoverOrphan;
import io.rebound.core.item.ItemEntity.Redrive;
import io.rebound.core.item.ItemEntity.Redriven;
import io.rebound.core.item.ItemEntity.State;
import io.rebound.core.item.ItemEntity.Stop;
import io.rebound.core.item.ItemEntity.Succeeded;
import io.rebound.core.item.ItemEntity.Unpark;
import io.rebound.core.item.ItemEntity.Unparked;
import io.rebound.core.item.ItemEntity.Wake;
import io.rebound.core.item.ItemEntity.WakeOutcome;
import io.rebound.core.item.ItemEntity.Woken;
import io.rebound.core.item.ItemTransition.Cause;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The life of an item as one pure function: given its state, a command and what the item knows
 * of its node right now ({@link Context}), {@link #decide} says which events to persist and what
 * the actor must then do ({@link Intent}s: timers, permits, the handler, parking, replies,
 * passivation). No actor, clock or random source is touched here; {@link ItemEntity} persists the
 * events and carries the intents out, and tests can drive the whole life without actors.
 *
 * <p>Commands are decided per state (as in Pekko's {@code AuctionEntity}): {@link #whileEnqueueing},
 * {@link #whenUnknown}, {@link #whenWaitingForAttempt}, {@link #whenRunning}, {@link #whenParked},
 * {@link #whenFinished}. Every move an event makes is in {@link ItemStatus#ALLOWED}, and
 * {@link ItemEntity.State#apply} refuses any other.
 */
public final class ItemLife {
  private ItemLife() {}

  /** The longest Retry-After a handler may ask for: the longest delay a policy may have. */
  public static final Duration MAX_RETRY_AFTER = RetryPolicy.MAX_DELAY;
  static final int MAX_MESSAGE = 2_000;
  static final int MAX_STACK_TRACE = 8_000;

  /** The timers an item keeps (Pekko timers, by key). */
  public enum Timer {
    /** The attempt timeout, restarted by heartbeats. */
    ATTEMPT,
    /** A delay, backoff or parking period. */
    DUE,
    /** Leave memory when nothing else came (an unknown or finished item asked something). */
    IDLE,
    /** The kill grace of a handler told to stop. */
    KILL,
    /** The stop grace of an attempt running when the item must move. */
    STOP
  }

  // ---- what the item knows when it decides --------------------------------------------------

  /**
   * This incarnation of the actor: what it did that is not in the journal (and dies with it).
   *
   * @param enqueueing a new item's enqueue waiting for the dispatcher's answer to a TryRequest, or null
   * @param permitRequested a request is out at the dispatcher
   * @param holdingPermit a permit is held (an attempt runs, or its handler has not ended yet)
   * @param handlerExecution the execution whose handler runs here and has not ended (nor outlived
   *     its kill grace), or null
   * @param stopping a Stop (handoff, node shutdown) came while a handler ran: stop once it ended
   * @param handlerSignalled the running handler was told to stop (a timeout, cancel, or the stop grace over)
   * @param wakerWaiting a waker waits to hear what the item did
   * @param wakerIsOther ... and it is another one than the sender of this Wake
   * @param passivationAsked the item asked its shard to passivate it
   * @param changedSincePassivationAsked a command changed it after it asked
   */
  public record Incarnation(
      Enqueue enqueueing, boolean permitRequested, boolean holdingPermit, Integer handlerExecution, boolean stopping, boolean handlerSignalled,
      boolean wakerWaiting, boolean wakerIsOther, boolean passivationAsked, boolean changedSincePassivationAsked) {
    public static final Incarnation FRESH = new Incarnation(null, false, false, null, false, false, false, false, false, false);

    /**
     * A command after its request to passivate gave it work: it changed it, or woke it so that
     * it asked for a permit (its dispatcher forgets that request when the actor stops).
     */
    boolean revivedAfterPassivating() {
      return passivationAsked && (changedSincePassivationAsked || permitRequested);
    }

    boolean handlerRuns() {
      return handlerExecution != null;
    }
  }

  /**
   * What the item reads from its node to decide.
   *
   * @param now the node's clock
   * @param queue the item's queue's settings, or null when the queue is not configured on this node
   * @param hasHandler whether this node has a handler for the queue
   * @param toolsDown the queue's tools the node sees down now
   * @param policy the item's policy: its own, else its queue's, else the defaults
   * @param fallback the settings (max-park, park-retry, kill grace) used when the queue is not configured
   * @param random the source of the policy's jitter
   * @param horizon an item whose next step is further away leaves memory
   * @param firstAttemptInEnqueue whether a new item due at once tries to start in its enqueue's write
   * @param incarnation what this actor did that is not in the journal
   * @param nodeStopping the node's shutdown has begun (its running attempts had shutdown-timeout to finish)
   */
  public record Context(
      Instant now, QueueSettings queue, boolean hasHandler, List<String> toolsDown, RetryPolicy policy,
      QueueSettings fallback, RandomGenerator random, Duration horizon, boolean firstAttemptInEnqueue,
      Incarnation incarnation, boolean nodeStopping) {

    Duration maxPark() {
      return (queue != null ? queue : fallback).maxPark();
    }

    Duration parkRetry() {
      return (queue != null ? queue : fallback).parkRetry();
    }

    /** None when the node is shutting down: its attempts were given shutdown-timeout to finish already. */
    Duration stopGrace() {
      return nodeStopping ? Duration.ZERO : (queue != null ? queue : fallback).stopGrace();
    }

    List<String> queueTools() {
      return queue != null ? queue.tools() : List.of();
    }
  }

  // ---- what the item does ---------------------------------------------------------------------

  /** Something the actor does for a decision: at once, or once its events are persisted. */
  public sealed interface Intent {}

  /** Ask the dispatcher for a permit. */
  public record RequestPermit() implements Intent {}

  /** A new item due at once: ask for a permit only if one is free now (TryRequest); its enqueue waits. */
  public record TryFirstPermit(Enqueue enqueue, long order) implements Intent {}

  /** The first permit's answer came: the enqueue no longer waits. */
  public record EnqueueAnswered() implements Intent {}

  /** Give the permit back, or withdraw the request. */
  public record ReturnPermit() implements Intent {}

  /** The permit asked for arrived: the item holds it now. */
  public record HoldPermit() implements Intent {}

  /** The dispatcher deferred the request: none is out any more. */
  public record ForgetRequest() implements Intent {}

  /** Run the handler for the state's (new) execution: its span, its attempt timeout. */
  public record InvokeHandler() implements Intent {}

  /** Tell the running handler to stop and bound the wait for it by the kill grace. */
  public record SignalHandler() implements Intent {}

  /** The handler of this incarnation ended (or outlived its kill grace). */
  public record HandlerEnded() implements Intent {}

  /** Stop once the running handler has ended. */
  public record StopWhenHandlerEnds() implements Intent {}

  public record StartTimer(Timer timer, Command message, Duration delay) implements Intent {}

  public record CancelTimer(Timer timer) implements Intent {}

  /** Tell each tool the item parked on (MissingMetadata), until acknowledged. */
  public record ParkOnTools() implements Intent {}

  /** Report an outcome to the tools' circuit breakers. */
  public record ReportToTools(List<String> tools, ErrorKind kind, String message) implements Intent {}

  /** Publish an {@link ItemTransition} for this state (the persisted one unless given). */
  public record Publish(Cause cause, Instant attemptStartedAt, State state) implements Intent {}

  /** Line timers, permit and passivation up with the state: worked out by {@link #align} when carried out. */
  public record Align() implements Intent {}

  /** Ask the shard to passivate the item. */
  public record Passivate() implements Intent {}

  /** Leave memory after a short idle time unless something else comes. */
  public record PassivateWhenIdle() implements Intent {}

  /** Tell the waker waiting for this item what it did. */
  public record AnswerWaker(WakeOutcome outcome) implements Intent {}

  /** This waker waits for the permit's answer. */
  public record KeepWaker(ActorRef<Woken> waker) implements Intent {}

  /** Answer a Wake at once. */
  public record ReplyWoken(ActorRef<Woken> to, WakeOutcome outcome) implements Intent {}

  /** Send this command to itself (after the ones in its mailbox). */
  public record TellSelf(Command message) implements Intent {}

  /** Start again through sharding after stopping. */
  public record WakeSelf() implements Intent {}

  public record Log(boolean warn, String message) implements Intent {}

  /** The answer to the command's sender, built from the state after the events. */
  public sealed interface Answer {}

  public record AnswerItem(ActorRef<ItemEntity.Reply> to, boolean created) implements Answer {}

  public record AnswerNotFound(ActorRef<ItemEntity.Reply> to) implements Answer {}

  public record AnswerRejected(ActorRef<ItemEntity.Reply> to, String action) implements Answer {}

  public record AnswerDone(ActorRef<Done> to) implements Answer {}

  /**
   * What to do about a command.
   *
   * @param first intents carried out at once, before the events are written
   * @param events the events to persist (in one atomic write), possibly none
   * @param then intents carried out once the events are persisted, with the state after them
   * @param answer the reply to the sender, or null
   * @param stash keep the command until the enqueue being written is written
   * @param unstash take the kept commands up again after this one
   * @param stop stop the actor
   */
  public record Decision(
      List<Intent> first, List<Event> events, List<Intent> then, Answer answer, boolean stash, boolean unstash, boolean stop) {

    static final Decision NOTHING = new Decision(List.of(), List.of(), List.of(), null, false, false, false);
    static final Decision STASH = new Decision(List.of(), List.of(), List.of(), null, true, false, false);

    /** Every intent, first and then, in the order they are carried out. */
    public List<Intent> intents() {
      List<Intent> all = new ArrayList<>(first);
      all.addAll(then);
      return all;
    }
  }

  /** Builds a decision. */
  static final class D {
    final List<Intent> first = new ArrayList<>();
    final List<Event> events = new ArrayList<>();
    final List<Intent> then = new ArrayList<>();
    Answer answer;
    boolean unstash;
    boolean stop;

    D first(Intent... i) {
      first.addAll(List.of(i));
      return this;
    }

    D persist(Event... e) {
      events.addAll(List.of(e));
      return this;
    }

    D then(Intent... i) {
      then.addAll(List.of(i));
      return this;
    }

    D answer(Answer a) {
      answer = a;
      return this;
    }

    D unstash() {
      unstash = true;
      return this;
    }

    D stop() {
      stop = true;
      return this;
    }

    Decision done() {
      return new Decision(List.copyOf(first), List.copyOf(events), List.copyOf(then), answer, false, unstash, stop);
    }
  }

  // ---- the decision ---------------------------------------------------------------------------

  /** What the item does about a command in its state. */
  public static Decision decide(State s, Command c, Context ctx) {
    if (ctx.incarnation().enqueueing() != null) {
      return whileEnqueueing(s, c, ctx);
    }
    if (!s.exists()) {
      return whenUnknown(s, c, ctx);
    }
    return switch (s.status()) {
      case PENDING, WAITING -> whenWaitingForAttempt(s, c, ctx);
      case RUNNING -> whenRunning(s, c, ctx);
      case PARKED -> whenParked(s, c, ctx);
      case SUCCEEDED, DEAD_LETTERED, CANCELLED -> whenFinished(s, c, ctx);
    };
  }

  /** A new item's enqueue waits for the dispatcher's answer: everything else waits for its write. */
  static Decision whileEnqueueing(State s, Command c, Context ctx) {
    Enqueue e = ctx.incarnation().enqueueing();
    if (c instanceof PermitGranted) {
      Enqueued created = enqueued(s, e, ctx.now(), null);
      if (!ctx.toolsDown().isEmpty()) {
        // A tool is down: enqueue alone; asking again for a permit parks it, as for any item.
        return new D().first(new EnqueueAnswered(), new ReturnPermit()).persist(created).then(changed(Cause.ENQUEUED, s, ctx))
            .then(new Align()).answer(new AnswerItem(e.replyTo(), true)).unstash().done();
      }
      State pending = s.apply(created);
      return new D().first(new EnqueueAnswered(), new HoldPermit())
          .persist(created, new AttemptStarted(1, 1, ctx.now()))
          .then(new Publish(Cause.ENQUEUED, null, pending), new Publish(Cause.ATTEMPT_STARTED, null, null), new InvokeHandler())
          .answer(new AnswerItem(e.replyTo(), true)).unstash().done();
    }
    if (c instanceof PermitBusy || c instanceof PermitDeferred) {
      return new D().first(new EnqueueAnswered()).persist(enqueued(s, e, ctx.now(), null)).then(changed(Cause.ENQUEUED, s, ctx))
          .then(new Align()).answer(new AnswerItem(e.replyTo(), true)).unstash().done();
    }
    return Decision.STASH;
  }

  /** Never enqueued (or purged): only an enqueue creates it; the rest is answered and it leaves memory. */
  static Decision whenUnknown(State s, Command c, Context ctx) {
    if (c instanceof Enqueue e) {
      return enqueue(s, e, ctx);
    }
    if (c instanceof GetItem g) {
      return new D().first(new PassivateWhenIdle()).answer(new AnswerNotFound(g.replyTo())).done();
    }
    if (c instanceof Cancel k) {
      return new D().first(new PassivateWhenIdle()).answer(new AnswerNotFound(k.replyTo())).done();
    }
    if (c instanceof Redrive r) {
      return new D().first(new PassivateWhenIdle()).answer(new AnswerNotFound(r.replyTo())).done();
    }
    if (c instanceof Unpark u) {
      return new D().first(new PassivateWhenIdle()).answer(new AnswerDone(u.replyTo())).done();
    }
    return anyState(s, c, ctx);
  }

  /** PENDING or WAITING: due now (asking for a permit) or later (on its timer). */
  static Decision whenWaitingForAttempt(State s, Command c, Context ctx) {
    Incarnation inc = ctx.incarnation();
    if (c instanceof PermitGranted) {
      if (!inc.permitRequested() || !isDue(s, ctx.now())) {
        // The dispatcher counts this permit as out: give it back.
        return new D().first(new ReturnPermit()).done();
      }
      List<String> down = ctx.toolsDown();
      if (!down.isEmpty()) {
        // Checked against the node's view, no round trip: park rather than burn an attempt.
        return park(new D().first(new ReturnPermit(), new AnswerWaker(WakeOutcome.IDLE)), s, s.attempts(), 0, down,
            "tools down: " + String.join(", ", down), ctx, Cause.PARKED_BEFORE_ATTEMPT);
      }
      return new D().first(new HoldPermit(), new AnswerWaker(WakeOutcome.STARTED))
          .persist(new AttemptStarted(s.attempts() + 1, s.executions() + 1, ctx.now()))
          .then(new Publish(Cause.ATTEMPT_STARTED, null, null), new InvokeHandler()).done();
    }
    if (c instanceof Due) {
      if (!isDue(s, ctx.now())) {
        return new D().first(dueTimer(s, ctx.now())).done();
      }
      return requestPermit(ctx).map(i -> new D().first(i).done()).orElse(Decision.NOTHING);
    }
    if (c instanceof Cancel k) {
      return cancel(s, k, ctx);
    }
    return anyState(s, c, ctx);
  }

  /** RUNNING: its attempt's outcome, timeout or heartbeat, fenced by the execution number. */
  static Decision whenRunning(State s, Command c, Context ctx) {
    Incarnation inc = ctx.incarnation();
    if (c instanceof AttemptCompleted a && isCurrent(s, a.execution())) {
      D d = new D();
      boolean ended = handlerEnds(d, a.execution(), inc);
      List<String> queueTools = ctx.queueTools();
      if (!queueTools.isEmpty()) {
        d.first(new ReportToTools(a.kind() == ErrorKind.TOOL_UNAVAILABLE ? toolsOf(a, queueTools) : queueTools, a.kind(), a.message()));
      }
      Instant started = ended ? s.updatedAt() : null;
      if (a.kind() == null) {
        return d.persist(new Succeeded(s.attempts(), s.executions(), ctx.now()))
            .then(changed(Cause.SUCCEEDED, s, ctx), new Align()).done();
      }
      if (a.kind() == ErrorKind.TOOL_UNAVAILABLE) {
        return park(d, s, s.attempts() - 1, s.executions(), toolsOf(a, queueTools), a.message(), ctx, Cause.ATTEMPT_PARKED);
      }
      if (inc.stopping() && inc.handlerSignalled() && a.kind() == ErrorKind.TRANSIENT) {
        // The node (or the item's shard) is going away and told the handler to stop: the attempt
        // was cut off by its node, which is what ORPHANED says, not the handler's own failure.
        return fail(d, s, ErrorKind.ORPHANED, "the node stopped during attempt " + s.attempts() + " (the handler ended with: "
            + a.message() + ")", a.stackTrace(), null, ctx, started);
      }
      return fail(d, s, a.kind(), a.message(), a.stackTrace(), a.retryAfter(), ctx, started);
    }
    if (c instanceof AttemptTimedOut t && isCurrent(s, t.execution())) {
      Duration timeout = ctx.queue() != null ? ctx.queue().attemptTimeout() : Duration.ZERO;
      String message = "no outcome or heartbeat within " + timeout;
      D d = new D();
      // A hanging tool is the commonest way a tool fails: its breaker must see timeouts too.
      if (!ctx.queueTools().isEmpty()) {
        d.first(new ReportToTools(ctx.queueTools(), ErrorKind.TIMEOUT, message));
      }
      d.first(new SignalHandler());
      return fail(d, s, ErrorKind.TIMEOUT, message, null, null, ctx, startedHere(s, inc));
    }
    if (c instanceof Heartbeat h && isCurrent(s, h.execution())) {
      return ctx.queue() == null ? Decision.NOTHING
          : new D().first(new StartTimer(Timer.ATTEMPT, new AttemptTimedOut(h.execution()), ctx.queue().attemptTimeout())).done();
    }
    if (c instanceof RecoverOrphan o && isCurrent(s, o.execution())) {
      // Still RUNNING with the execution found at recovery: nothing in this incarnation started it.
      return fail(new D(), s, ErrorKind.ORPHANED, "the node stopped during attempt " + s.attempts(), null, null, ctx, null);
    }
    if (c instanceof Cancel k) {
      return cancel(s, k, ctx);
    }
    return anyState(s, c, ctx);
  }

  /** PARKED: released by its tools, or due (park-retry without tools, or max-park). */
  static Decision whenParked(State s, Command c, Context ctx) {
    if (c instanceof Unpark u) {
      return new D().persist(new Unparked(ctx.now())).then(changed(Cause.UNPARKED, s, ctx), new Align())
          .answer(new AnswerDone(u.replyTo())).done();
    }
    if (c instanceof Due) {
      if (!isDue(s, ctx.now())) {
        return new D().first(dueTimer(s, ctx.now())).done();
      }
      boolean expired = s.parkedSince() != null && !ctx.now().isBefore(s.parkedSince().plus(ctx.maxPark()));
      if (s.parkedOn().isEmpty() && !expired) {
        return new D().persist(new Unparked(ctx.now())).then(changed(Cause.UNPARKED, s, ctx), new Align()).done();
      }
      // Waited for its tools longer than max-park.
      return new D().persist(new DeadLettered(ErrorKind.TOOL_UNAVAILABLE, ctx.now()))
          .then(changed(Cause.PARK_EXPIRED, s, ctx), new Align()).done();
    }
    if (c instanceof Cancel k) {
      return cancel(s, k, ctx);
    }
    return anyState(s, c, ctx);
  }

  /** SUCCEEDED, DEAD_LETTERED or CANCELLED: only a dead letter moves again (a redrive). */
  static Decision whenFinished(State s, Command c, Context ctx) {
    if (c instanceof Redrive r) {
      // Only a dead letter is redriven (PARKED -> PENDING is the item's own unparking).
      if (s.status() != ItemStatus.DEAD_LETTERED) {
        return new D().answer(new AnswerRejected(r.replyTo(), "redrive")).done();
      }
      return new D().first(new CancelTimer(Timer.IDLE)).persist(new Redriven(ctx.now())).then(changed(Cause.REDRIVEN, s, ctx), new Align())
          .answer(new AnswerItem(r.replyTo(), false)).done();
    }
    if (c instanceof Cancel k) {
      return new D().answer(new AnswerRejected(k.replyTo(), "cancel")).done();
    }
    return anyState(s, c, ctx);
  }

  /** The same in every state the item exists in (or the commands a state above did not take). */
  private static Decision anyState(State s, Command c, Context ctx) {
    Incarnation inc = ctx.incarnation();
    if (c instanceof Enqueue e) {
      return enqueue(s, e, ctx);
    }
    if (c instanceof GetItem g) {
      return new D().answer(new AnswerItem(g.replyTo(), false)).done();
    }
    if (c instanceof Redrive r) {
      return new D().answer(new AnswerRejected(r.replyTo(), "redrive")).done();
    }
    if (c instanceof Cancel k) {
      return new D().answer(new AnswerRejected(k.replyTo(), "cancel")).done();
    }
    if (c instanceof Unpark u) {
      // Already released (a repeat after a crash), or it left PARKED some other way.
      return new D().answer(new AnswerDone(u.replyTo())).done();
    }
    if (c instanceof PermitGranted) {
      // The dispatcher counts this permit as out: give it back.
      return new D().first(new ReturnPermit()).done();
    }
    if (c instanceof PermitDeferred) {
      // The node has enough items of this queue waiting: this one waits in the journal and the index instead.
      return inc.permitRequested()
          ? new D().first(new ForgetRequest(), new AnswerWaker(WakeOutcome.DEFERRED), new Passivate()).done()
          : Decision.NOTHING;
    }
    if (c instanceof AttemptCompleted a) {
      // A late outcome (or one of an item no longer RUNNING): fenced off.
      D d = new D();
      boolean ended = handlerEnds(d, a.execution(), inc);
      d.first(new Log(false, "ignoring the late outcome of execution " + a.execution()));
      if (ended && inc.stopping()) {
        returnPermitBeforeStopping(d, inc);
      } else if (ended && s.exists()) {
        // Its handler has really ended now: give the permit back, go on with the next attempt.
        d.first(new Align());
      }
      return d.done();
    }
    if (c instanceof Wake w) {
      return wake(s, w, ctx);
    }
    if (c instanceof Stop) {
      return stop(s, ctx);
    }
    if (c instanceof Idle) {
      if (!inMemory(s, ctx.now(), ctx.horizon())) {
        return !inc.permitRequested() && !inc.holdingPermit() ? new D().first(new Passivate()).done() : Decision.NOTHING;
      }
      if (isOpen(s) && s.status() != ItemStatus.RUNNING && !inc.permitRequested()) {
        // It came within the horizon while it idled here: take the work up.
        return new D().first(new Align()).done();
      }
      return Decision.NOTHING;
    }
    if (c instanceof StopGraceOver g) {
      return inc.stopping() && inc.handlerRuns() && inc.handlerExecution() == g.execution()
          ? new D().first(new SignalHandler()).done() : Decision.NOTHING;
    }
    if (c instanceof HandlerGraceOver g) {
      if (!inc.handlerRuns() || inc.handlerExecution() != g.execution()) {
        return Decision.NOTHING;
      }
      D d = new D().first(new Log(true, "the handler of execution " + g.execution()
          + " did not end within the kill grace of being told to stop; going on without it"), new HandlerEnded());
      if (inc.stopping()) {
        d.first(new TellSelf(new Stop()));
        returnPermitBeforeStopping(d, inc);
      } else if (s.exists()) {
        d.first(new Align());
      }
      return d.done();
    }
    // Due, PermitBusy, a fenced AttemptTimedOut, Heartbeat or RecoverOrphan: nothing to do.
    return Decision.NOTHING;
  }

  // ---- the steps --------------------------------------------------------------------------

  private static Decision enqueue(State s, Enqueue c, Context ctx) {
    if (s.exists()) {
      return new D().answer(new AnswerItem(c.replyTo(), false)).done();
    }
    Instant now = ctx.now();
    Instant notBefore = c.notBefore() != null && c.notBefore().isAfter(now) ? c.notBefore() : null;
    D d = new D().first(new CancelTimer(Timer.IDLE));
    if (ctx.firstAttemptInEnqueue() && notBefore == null && ctx.queue() != null && ctx.hasHandler()) {
      // Due at once: if a permit is free now, the first attempt starts in the enqueue's own write
      // (one journal write and one index change fewer per item, and no round trip before it runs).
      return d.first(new TryFirstPermit(c, order(now))).done();
    }
    return d.persist(enqueued(s, c, now, notBefore)).then(changed(Cause.ENQUEUED, s, ctx), new Align())
        .answer(new AnswerItem(c.replyTo(), true)).done();
  }

  private static Enqueued enqueued(State s, Enqueue c, Instant now, Instant notBefore) {
    return new Enqueued(s.id(), c.queue(), c.key(), c.payload(), c.priority(), now, notBefore, c.policy(), c.group(), c.traceparent());
  }

  private static Decision cancel(State s, Cancel c, Context ctx) {
    // The running handler is told to stop; its outcome is fenced off because the item is no longer
    // RUNNING, and the permit is held until it has ended.
    return new D().first(new SignalHandler()).persist(new Cancelled(c.reason(), ctx.now()))
        .then(changed(Cause.CANCELLED, s, ctx), new Align()).answer(new AnswerItem(c.replyTo(), false)).done();
  }

  private static Decision wake(State s, Wake c, Context ctx) {
    Incarnation inc = ctx.incarnation();
    D d = new D();
    boolean requested = inc.permitRequested();
    if (isOpen(s) && s.status() != ItemStatus.RUNNING && !requested) {
      // In memory already (asked something while not due, say) and due now: take the work up.
      List<Intent> aligned = align(s, inc, ctx.now(), ctx.horizon());
      d.first(new Align());
      requested = aligned.stream().anyMatch(i -> i instanceof RequestPermit);
    }
    if (c.replyTo() == null) {
      return d.done();
    }
    if (requested) {
      // Answered when the permit comes (or the dispatcher defers it); a repeat replaces nothing.
      if (inc.wakerWaiting() && inc.wakerIsOther()) {
        d.first(new AnswerWaker(WakeOutcome.IDLE));
      }
      d.first(new KeepWaker(c.replyTo()));
    } else {
      d.first(new ReplyWoken(c.replyTo(), s.status() == ItemStatus.RUNNING ? WakeOutcome.STARTED : WakeOutcome.IDLE));
      if (!s.exists()) {
        d.first(new PassivateWhenIdle());
      }
    }
    return d.done();
  }

  /**
   * A command that arrived after the item asked to passivate (a redrive of a dead letter, an
   * enqueue of a new id) may have given it work within the horizon. Stopping would then leave
   * that work to the waker, a poll and the index's lag later: so it wakes itself through
   * sharding, which starts it again once it has stopped.
   */
  private static Decision stop(State s, Context ctx) {
    Incarnation inc = ctx.incarnation();
    if (inc.handlerRuns()) {
      // A handoff or node shutdown: the attempt may end on its own within the stop grace (its
      // outcome kept), then the handler is told to stop; the item moves only once the handler
      // ended (its outcome recorded here) or its kill grace passed, so that no attempt of it can
      // start elsewhere while this one still runs.
      if (inc.stopping()) {
        // A second Stop (a passivation's, then a handoff's) keeps the first one's grace.
        return Decision.NOTHING;
      }
      Duration grace = ctx.stopGrace();
      D d = new D().first(new StopWhenHandlerEnds());
      return (grace.isZero() ? d.first(new SignalHandler())
          : d.first(new StartTimer(Timer.STOP, new StopGraceOver(inc.handlerExecution()), grace))).done();
    }
    D d = new D();
    // Only after its own request, and only when a later command changed it: a handoff or a node
    // shutdown stops items with work on purpose (the waker finds them in the index).
    if (inc.revivedAfterPassivating() && inMemory(s, ctx.now(), ctx.horizon())) {
      d.first(new WakeSelf());
    }
    return d.first(new AnswerWaker(WakeOutcome.IDLE)).stop().done();
  }

  /**
   * Parks the item without burning an attempt. With tools to wait for, it registers with each
   * tool and is dead-lettered after max-park; without, it tries again after park-retry.
   */
  private static Decision park(D d, State s, int attemptsAfter, int execution, List<String> tools, String message, Context ctx,
      Cause cause) {
    Instant at = ctx.now();
    // max-park counts from the first parking since the last counted attempt, so that an item a
    // handler keeps parking (or an operator keeps releasing) still ends in the dead letters.
    Instant deadline = (s.parkedSince() != null ? s.parkedSince() : at).plus(ctx.maxPark());
    Instant until = tools.isEmpty() ? min(at.plus(ctx.parkRetry()), deadline) : deadline;
    return d.persist(new Parked(attemptsAfter, execution, tools, truncate(message, MAX_MESSAGE), at, until))
        .then(new ParkOnTools(), changed(cause, s, ctx), new Align()).done();
  }

  /** Records a failed attempt and what follows it: a backoff, or the dead letters. */
  private static Decision fail(D d, State s, ErrorKind kind, String message, String stackTrace, Duration retryAfter, Context ctx,
      Instant attemptStartedAt) {
    Instant at = ctx.now();
    Optional<Duration> delay = ctx.policy().retryDelay(Math.max(1, s.attempts()), kind, ctx.random());
    String msg = truncate(message, MAX_MESSAGE);
    String trace = truncate(stackTrace, MAX_STACK_TRACE);
    Publish published = new Publish(Cause.ATTEMPT_FAILED, attemptStartedAt, null);
    if (delay.isEmpty()) {
      return d.persist(new AttemptFailed(s.attempts(), s.executions(), kind, msg, trace, at, null), new DeadLettered(kind, at))
          .then(published, new Align()).done();
    }
    // A server's Retry-After is honoured up to the longest delay a policy may have.
    Duration wait = retryAfter == null ? delay.get() : retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
    return d.persist(new AttemptFailed(s.attempts(), s.executions(), kind, msg, trace, at, at.plus(wait)))
        .then(published, new Align()).done();
  }

  /** The transition published after a change; it ends the attempt running here, if any. */
  private static Publish changed(Cause cause, State s, Context ctx) {
    return new Publish(cause, startedHere(s, ctx.incarnation()), null);
  }

  /** When the current attempt started, if its handler runs here (the transition ends it). */
  private static Instant startedHere(State s, Incarnation inc) {
    return s.exists() && s.status() == ItemStatus.RUNNING && inc.handlerRuns() && inc.handlerExecution() == s.executions()
        ? s.updatedAt() : null;
  }

  private static boolean handlerEnds(D d, int execution, Incarnation inc) {
    if (inc.handlerRuns() && inc.handlerExecution() == execution) {
      d.first(new HandlerEnded());
      if (inc.stopping()) {
        // A handoff waited for this handler: it stops once this outcome (if current) is recorded.
        d.first(new TellSelf(new Stop()));
      }
      return true;
    }
    return false;
  }

  /**
   * The handler a Stop waited for has ended and the item stops next: its permit goes back now, as
   * it would after any attempt, rather than only when the dispatcher sees the actor stop.
   */
  private static void returnPermitBeforeStopping(D d, Incarnation inc) {
    if (inc.holdingPermit()) {
      d.first(new ReturnPermit());
    }
  }

  /** Ask for a permit, unless one is asked for, the last attempt's handler may still run, or the item is moving. */
  private static Optional<Intent> requestPermit(Context ctx) {
    Incarnation inc = ctx.incarnation();
    return !inc.permitRequested() && !inc.handlerRuns() && !inc.stopping() ? Optional.of(new RequestPermit()) : Optional.empty();
  }

  // ---- lining the runtime side up with the state ----------------------------------------------

  /**
   * What puts the actor's runtime side (timers, permit, passivation) in line with a state: the
   * due timer for a due time, a permit request when due, the permit given back when no attempt
   * runs, and passivation when nothing is within the horizon.
   */
  public static List<Intent> align(State s, Incarnation inc, Instant now, Duration horizon) {
    List<Intent> out = new ArrayList<>();
    boolean requested = inc.permitRequested();
    out.add(new CancelTimer(Timer.DUE));
    if (s.status() != ItemStatus.RUNNING) {
      out.add(new CancelTimer(Timer.ATTEMPT));
      // The permit stays out until the handler has really ended (or outlived its kill grace).
      if (inc.holdingPermit() && !inc.handlerRuns()) {
        out.add(new ReturnPermit());
        requested = false;
      }
    }
    switch (s.status()) {
      case PENDING, WAITING -> {
        if (isDue(s, now)) {
          if (!requested && !inc.handlerRuns() && !inc.stopping()) {
            out.add(new RequestPermit());
          }
        } else {
          if (requested) {
            out.add(new ReturnPermit());
          }
          out.add(dueTimer(s, now));
        }
      }
      case PARKED -> {
        if (requested) {
          out.add(new ReturnPermit());
        }
        out.add(dueTimer(s, now));
      }
      case RUNNING -> {}
      case SUCCEEDED, DEAD_LETTERED, CANCELLED -> {
        if (requested) {
          out.add(new ReturnPermit());
        }
      }
    }
    if (!inMemory(s, now, horizon) && !inc.handlerRuns()) {
      // Nothing to do within the horizon: leave memory; the waker brings it back when it is due.
      out.add(new AnswerWaker(WakeOutcome.IDLE));
      out.add(new Passivate());
    }
    return out;
  }

  /** What the item does once recovered from its journal. */
  public static List<Intent> recovered(State s, Instant now, Duration horizon) {
    if (!s.exists()) {
      // Unknown (a Wake or Unpark of an id that is gone): leaves memory unless an Enqueue comes.
      return List.of(new PassivateWhenIdle());
    }
    if (s.status() == ItemStatus.RUNNING) {
      return List.of(new TellSelf(new RecoverOrphan(s.executions())));
    }
    if (!inMemory(s, now, horizon)) {
      // Started to be asked something (or by a waker early): stay a moment for what follows.
      return List.of(new PassivateWhenIdle());
    }
    return List.of(new Align());
  }

  // ---- about a state ----------------------------------------------------------------------

  /**
   * Whether the item has work soon enough to stay in memory: an attempt running, or a due time
   * (a delay, a backoff, a parking without tools, max-park) within the horizon. Anything further
   * away waits in the journal, and the index's {@code wake_at} tells the waker when.
   */
  public static boolean inMemory(State s, Instant now, Duration horizon) {
    if (!s.exists()) {
      return false;
    }
    return switch (s.status()) {
      case RUNNING -> true;
      case PENDING, WAITING, PARKED -> untilDue(s, now).compareTo(horizon) <= 0;
      case SUCCEEDED, DEAD_LETTERED, CANCELLED -> false;
    };
  }

  static boolean isOpen(State s) {
    return s.exists() && !s.status().isTerminal();
  }

  static boolean isCurrent(State s, int execution) {
    return s.status() == ItemStatus.RUNNING && s.executions() == execution;
  }

  static boolean isDue(State s, Instant now) {
    return s.nextAttemptAt() == null || !s.nextAttemptAt().isAfter(now);
  }

  static Duration untilDue(State s, Instant now) {
    if (s.nextAttemptAt() == null) {
      return Duration.ZERO;
    }
    Duration d = Duration.between(now, s.nextAttemptAt());
    return d.isNegative() ? Duration.ZERO : d;
  }

  private static StartTimer dueTimer(State s, Instant now) {
    return new StartTimer(Timer.DUE, new Due(), untilDue(s, now));
  }

  /** The queue's tools the handler named; all of them when it named none it knows. */
  private static List<String> toolsOf(AttemptCompleted c, List<String> queueTools) {
    List<String> named = c.tools().stream().filter(queueTools::contains).toList();
    return named.isEmpty() ? queueTools : named;
  }

  /** Older first within a priority; microseconds, so that items enqueued one after another keep their order. */
  static long order(Instant createdAt) {
    return createdAt.getEpochSecond() * 1_000_000L + createdAt.getNano() / 1_000;
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
