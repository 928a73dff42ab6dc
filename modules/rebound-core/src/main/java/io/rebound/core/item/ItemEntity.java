package io.rebound.core.item;

import io.rebound.api.ErrorKind;
import io.rebound.api.JobHandler;
import io.rebound.api.RetryPolicy;
import io.rebound.core.serialization.CborSerializable;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.dispatch.Dispatcher;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import io.rebound.core.tools.ToolSupervisor;
import io.rebound.core.tracing.AttemptSpan;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One work item: a sharded, event-sourced actor that holds the item's whole retry state. Every
 * step is an event in its journal. Timers (delay, backoff, parking, attempt timeout) live in the
 * actor and are re-armed from the persisted due time after any restart; an item found RUNNING on
 * recovery lost its attempt with its node and records it as ORPHANED.
 *
 * <p>Attempts are fenced by their execution number: an outcome, timeout or heartbeat for any
 * execution but the current one is ignored.
 *
 * <p>What to do about a command is decided by {@link ItemLife}, a pure function of the state, the
 * command and what the item reads from its node; this actor persists the events it decides and
 * carries out its intents (timers, permits, the handler, parking, replies, passivation).
 */
public final class ItemEntity extends EventSourcedBehaviorWithEnforcedReplies<ItemEntity.Command, ItemEntity.Event, ItemEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Item");

  static final int MAX_MESSAGE = ItemLife.MAX_MESSAGE;
  static final int MAX_STACK_TRACE = ItemLife.MAX_STACK_TRACE;
  private static final Duration IDLE_PASSIVATION = Duration.ofSeconds(2);
  /** Items recovered on this node from a journal without its Enqueued event (left alone). */
  public static final java.util.concurrent.atomic.AtomicLong HEADLESS_JOURNALS = new java.util.concurrent.atomic.AtomicLong();
  static final Duration PERSIST_BACKOFF_MIN = Duration.ofMillis(500);
  static final Duration PERSIST_BACKOFF_MAX = Duration.ofSeconds(30);

  // ---- commands ---------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  /**
   * Creates the item, or answers with the existing one: enqueue is idempotent on the id.
   *
   * @param group the item's group (tenant), or null
   * @param traceparent the enqueuing span's W3C traceparent, or null (docs/TRACING.md)
   */
  public record Enqueue(
      String queue, String key, String payload, int priority, Instant notBefore, PolicyData policy, ActorRef<Reply> replyTo,
      String group, String traceparent)
      implements Command {
    public Enqueue(String queue, String key, String payload, int priority, Instant notBefore, PolicyData policy, ActorRef<Reply> replyTo) {
      this(queue, key, payload, priority, notBefore, policy, replyTo, null, null);
    }
  }

  public record GetItem(ActorRef<Reply> replyTo) implements Command {}

  public record Cancel(String reason, ActorRef<Reply> replyTo) implements Command {}

  /** Sends a dead letter back to PENDING with its attempts starting again. */
  public record Redrive(ActorRef<Reply> replyTo) implements Command {}

  /** A tool it was parked on is back (from its tool's MissingMetadata): to PENDING, keeping its priority. */
  public record Unpark(ActorRef<Done> replyTo) implements Command {}

  /** The handler of the given execution is alive: restart the attempt timeout. */
  public record Heartbeat(int execution) implements Command {}

  /** The dispatcher's permit arrived (internal). */
  public record PermitGranted() implements Command {}

  /** The dispatcher's waiting line for the queue is full (internal): leave memory until woken. */
  public record PermitDeferred() implements Command {}

  /** No permit was free for a new item's first attempt at once (internal): it is enqueued to wait for one. */
  public record PermitBusy() implements Command {}

  /** How an execution ended (internal); {@code kind} is null on success. */
  public record AttemptCompleted(
      int execution, ErrorKind kind, String message, String stackTrace, Duration retryAfter, List<String> tools)
      implements Command {}

  /** The attempt timeout of an execution expired (internal). */
  public record AttemptTimedOut(int execution) implements Command {}

  /** A delay, backoff or parking period is over (internal). */
  public record Due() implements Command {}

  /**
   * The handler of an execution, signalled to stop, did not end within the queue's
   * attempt-kill-grace (internal): the item goes on without waiting for it any longer.
   */
  public record HandlerGraceOver(int execution) implements Command {}

  /**
   * The item must move and the stop grace its running execution was given is over (internal):
   * its handler is told to stop now.
   */
  public record StopGraceOver(int execution) implements Command {}

  /** Sent to itself after recovering in RUNNING (internal). */
  public record RecoverOrphan(int execution) implements Command {}

  /** Idle in a terminal state, or never created: leave memory (internal). */
  public record Idle() implements Command {}

  /** Sharding's stop message, so that messages already in the mailbox are handled first. */
  public record Stop() implements Command {}

  /**
   * Starts the item (through sharding) so that it takes up its work: sent by the waker for items
   * the index shows due or RUNNING, and by an item to itself when it stops with work.
   *
   * @param replyTo the waker, told when there is nothing more to wait for; null when nobody asks
   */
  public record Wake(ActorRef<Woken> replyTo) implements Command {}

  /** What a woken item did about its work. */
  public enum WakeOutcome {
    /** Its attempt started (or one was already running). */
    STARTED,
    /** It is due, but its queue's waiting line on its node is full: it left memory again. */
    DEFERRED,
    /** Nothing to do now (not due yet, parked, terminal, unknown): it stays or leaves as its state says. */
    IDLE
  }

  /** The answer to a {@link Wake} that asked for one. */
  public record Woken(String id, WakeOutcome outcome) implements CborSerializable {}

  // ---- replies ----------------------------------------------------------------------------

  public sealed interface Reply extends CborSerializable {}

  public record Accepted(ItemView item, boolean created) implements Reply {}

  public record NotFound(String id) implements Reply {}

  /** The item's state does not allow the action. */
  public record Rejected(ItemView item, String action) implements Reply {}

  // ---- events -----------------------------------------------------------------------------

  public sealed interface Event extends CborSerializable {}

  /**
   * @param policy the item's own retry policy, or null to follow its queue's
   * @param group the item's group (tenant), or null; null in journals written before groups
   * @param traceparent the enqueuing span's W3C traceparent, or null (none, or an event written
   *     before tracing: such events read back with null)
   */
  public record Enqueued(
      String id, String queue, String key, String payload, int priority, Instant at, Instant notBefore, PolicyData policy,
      String group, String traceparent)
      implements Event {
    /** An item without a group or a trace. */
    public Enqueued(String id, String queue, String key, String payload, int priority, Instant at, Instant notBefore, PolicyData policy) {
      this(id, queue, key, payload, priority, at, notBefore, policy, null, null);
    }
  }

  public record AttemptStarted(int attempt, int execution, Instant at) implements Event {}

  public record Succeeded(int attempt, int execution, Instant at) implements Event {}

  /** @param nextAttemptAt when the next attempt is due, or null when none follows */
  public record AttemptFailed(
      int attempt, int execution, ErrorKind kind, String message, String stackTrace, Instant at, Instant nextAttemptAt)
      implements Event {}

  public record DeadLettered(ErrorKind kind, Instant at) implements Event {}

  /**
   * A tool was unavailable; no attempt is burned.
   *
   * @param attempts counted attempts after parking (the parked one given back)
   * @param execution the execution that found the tool down, 0 when the check before the attempt did
   * @param tools the tools it waits for, each with its MissingMetadata; empty when none is
   *     configured and it simply tries again at {@code until}
   * @param until when it tries again (no tools), or is dead-lettered (max-park, with tools)
   */
  public record Parked(int attempts, int execution, List<String> tools, String message, Instant at, Instant until)
      implements Event {}

  public record Unparked(Instant at) implements Event {}

  public record Cancelled(String reason, Instant at) implements Event {}

  public record Redriven(Instant at) implements Event {}

  // ---- state ------------------------------------------------------------------------------

  /**
   * The item as its events left it; {@code status == null} means it was never enqueued.
   *
   * @param attempts counted attempts so far (parked ones are not counted)
   * @param executions handler invocations so far, the fencing token of attempts
   * @param nextAttemptAt when a PENDING, WAITING or PARKED item is due
   */
  public record State(
      String id,
      String queue,
      String key,
      String payload,
      int priority,
      ItemStatus status,
      int attempts,
      int executions,
      Instant createdAt,
      Instant updatedAt,
      Instant nextAttemptAt,
      ErrorKind lastErrorKind,
      String lastError,
      PolicyData policy,
      List<String> parkedOn,
      Instant parkedSince,
      String group,
      String traceparent)
      implements CborSerializable {

    static State empty(String id) {
      return new State(id, null, null, null, 0, null, 0, 0, null, null, null, null, null, null, List.of(), null, null, null);
    }

    public boolean exists() {
      return status != null;
    }

    /**
     * The state after the event. A move it makes ({@link ItemEvents#statusAfter}) must be in
     * {@link ItemStatus#ALLOWED}: anything else is a bug, and fails loudly rather than leaving an
     * item in a status no rule expects.
     *
     * @throws IllegalStateException on a move outside the table
     */
    State apply(Event event) {
      if (!exists() && !(event instanceof Enqueued)) {
        // A journal without its Enqueued (a purge raced a write): nothing to build an item from.
        // The item stays unknown (logged on recovery) rather than crash-looping on missing fields.
        return this;
      }
      ItemStatus to = ItemEvents.statusAfter(event);
      if (exists() && (event instanceof Enqueued || (to != null && !status.canMoveTo(to)) || (to == null && status != ItemStatus.RUNNING))) {
        throw new IllegalStateException("item " + id + ": " + event.getClass().getSimpleName() + " cannot move it from "
            + status + " to " + (to == null ? status : to) + " (not in ItemStatus.ALLOWED): " + event);
      }
      if (event instanceof Enqueued e) {
        return new State(e.id(), e.queue(), e.key(), e.payload(), e.priority(), to, 0, 0, e.at(), e.at(), e.notBefore(), null, null, e.policy(), List.of(), null,
            e.group(), e.traceparent());
      } else if (event instanceof AttemptStarted e) {
        return with(to, e.attempt(), e.execution(), e.at(), null, lastErrorKind, lastError);
      } else if (event instanceof Succeeded e) {
        return with(to, attempts, executions, e.at(), null, lastErrorKind, lastError).counted();
      } else if (event instanceof AttemptFailed e) {
        // With no next attempt it stays RUNNING: a DeadLettered event follows in the same write.
        return with(to == null ? status : to, attempts, executions, e.at(), e.nextAttemptAt(), e.kind(), e.message()).counted();
      } else if (event instanceof DeadLettered e) {
        return with(to, attempts, executions, e.at(), null, lastErrorKind, lastError);
      } else if (event instanceof Parked e) {
        return new State(id, queue, key, payload, priority, to, e.attempts(), executions, createdAt, e.at(),
            e.until(), ErrorKind.TOOL_UNAVAILABLE, e.message(), policy, List.copyOf(e.tools()),
            parkedSince != null ? parkedSince : e.at(), group, traceparent);
      } else if (event instanceof Unparked e) {
        return with(to, attempts, executions, e.at(), null, lastErrorKind, lastError);
      } else if (event instanceof Cancelled e) {
        return with(to, attempts, executions, e.at(), null, lastErrorKind, lastError);
      } else if (event instanceof Redriven e) {
        return with(to, 0, executions, e.at(), null, lastErrorKind, lastError).counted();
      }
      throw new IllegalArgumentException("unknown event " + event);
    }

    private State with(ItemStatus s, int att, int exec, Instant at, Instant next, ErrorKind kind, String error) {
      return new State(id, queue, key, payload, priority, s, att, exec, createdAt, at, next, kind, error, policy, List.of(), parkedSince,
          group, traceparent);
    }

    /** An attempt counted (or a redrive): the time spent parked so far no longer matters. */
    private State counted() {
      return new State(id, queue, key, payload, priority, status, attempts, executions, createdAt, updatedAt, nextAttemptAt,
          lastErrorKind, lastError, policy, parkedOn, null, group, traceparent);
    }

    ItemView view(int maxAttempts) {
      ItemView.LastError err = lastErrorKind == null ? null : new ItemView.LastError(lastErrorKind, lastError);
      return new ItemView(id, queue, key, status, priority, attempts, maxAttempts, nextAttemptAt, err, createdAt, updatedAt, payload, group);
    }
  }

  // ---- wiring -----------------------------------------------------------------------------

  /** Starts sharding for items on this node; returns its region. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system, ItemRuntime runtime) {
    return ClusterSharding.get(system)
        .init(Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), Optional.of(ctx.getShard()), runtime))
            .withStopMessage(new Stop()));
  }

  /** @param shard absent outside sharding (tests): the item then never passivates */
  public static Behavior<Command> create(
      String id, Optional<ActorRef<ClusterSharding.ShardCommand>> shard, ItemRuntime runtime) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ItemEntity(id, ctx, timers, shard, runtime)));
  }

  public static PersistenceId persistenceId(String id) {
    return PersistenceId.of(ENTITY_TYPE_KEY.name(), id);
  }

  private final String id;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final ItemRuntime rt;
  private final ActorRef<Dispatcher.Answer> grants;
  private final Set<String> tags;
  /** Not persisted: this incarnation has a request out at the dispatcher. */
  private boolean permitRequested;
  /** Not persisted: this incarnation holds a permit (its attempt is running). */
  private boolean holdingPermit;
  /**
   * Events replayed by this actor's first recovery: whether its journal held events, which the
   * last sequence number does not tell (a purged item's journal keeps a row marked deleted, its
   * fence, that recovery skips). This object outlives a restart after a failed write, and so
   * would a count of later events: only the first recovery counts.
   */
  private long replayed;
  private boolean recoveredOnce;

  /** Not persisted: the state this incarnation had when it asked its shard to passivate it, or null. */
  private State passivatedIn;
  /**
   * Not persisted: a new item's enqueue waiting for the dispatcher's answer to a {@link
   * Dispatcher.TryRequest}, or null. Other commands wait (stashed) until it is written.
   */
  private Enqueue enqueueing;
  /** Not persisted: a waker waiting to hear what this item did, or null. */
  private ActorRef<Woken> waker;
  /**
   * Not persisted: the handler this incarnation started that has not ended yet (nor outlived its
   * kill grace), or null. While it is set the item holds its permit and starts no attempt.
   */
  private ItemJobContext handlerRunning;
  /** Not persisted: a Stop (handoff, node shutdown) came while a handler ran: stop once it ended. */
  private boolean stopWhenHandlerEnds;

  private ItemEntity(
      String id,
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      ItemRuntime rt) {
    // A failed journal write or recovery (the database restarting) restarts the item with backoff
    // instead of stopping it: it recovers from the journal and goes on once the database is back.
    super(persistenceId(id), SupervisorStrategy.restartWithBackoff(PERSIST_BACKOFF_MIN, PERSIST_BACKOFF_MAX, 0.2));
    this.id = id;
    this.ctx = ctx;
    this.timers = timers;
    this.shard = shard;
    this.rt = rt;
    this.grants = ctx.messageAdapter(Dispatcher.Answer.class,
        a -> a instanceof Dispatcher.Granted ? new PermitGranted()
            : a instanceof Dispatcher.Busy ? new PermitBusy() : new PermitDeferred());
    this.tags = Set.of(ItemTags.tagFor(id, rt.tagSlices()));
  }

  @Override
  public State emptyState() {
    return State.empty(id);
  }

  /** Items never snapshot, so recovery skips the snapshot query: a new item starts faster. */
  @Override
  public Recovery recovery() {
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  /** Every event carries its item's slice tag: the read side projects each slice on its own. */
  @Override
  public Set<String> tagsFor(Event event) {
    return tags;
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::onRecovered).build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> {
      if (!recoveredOnce) {
        replayed++;
      }
      return s.apply(e);
    });
  }

  /**
   * One handler per state, each deciding with {@link ItemLife} and carrying the decision out. The
   * builders are tried in order: while an enqueue waits for its permit answer, the first.
   */
  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forState(s -> enqueueing != null)
        .onAnyCommand((s, c) -> carryOut(s, ItemLife.whileEnqueueing(s, c, context(s, c))));
    builder.forState(s -> !s.exists())
        .onAnyCommand((s, c) -> carryOut(s, ItemLife.whenUnknown(s, c, context(s, c))));
    builder.forState(s -> s.status() == ItemStatus.PENDING || s.status() == ItemStatus.WAITING)
        .onAnyCommand((s, c) -> carryOut(s, ItemLife.whenWaitingForAttempt(s, c, context(s, c))));
    builder.forState(s -> s.status() == ItemStatus.RUNNING)
        .onAnyCommand((s, c) -> carryOut(s, ItemLife.whenRunning(s, c, context(s, c))));
    builder.forState(s -> s.status() == ItemStatus.PARKED)
        .onAnyCommand((s, c) -> carryOut(s, ItemLife.whenParked(s, c, context(s, c))));
    builder.forState(s -> s.status().isTerminal())
        .onAnyCommand((s, c) -> carryOut(s, ItemLife.whenFinished(s, c, context(s, c))));
    return builder.build();
  }

  // ---- deciding ---------------------------------------------------------------------------

  private ItemLife.Context context(State s, Command c) {
    String queue = s.exists() ? s.queue() : enqueueing != null ? enqueueing.queue() : c instanceof Enqueue e ? e.queue() : null;
    QueueSettings q = queue == null ? null : rt.queues().get(queue);
    List<String> down = q == null || q.tools().isEmpty() ? List.of() : rt.toolHealth().down(q.tools());
    return new ItemLife.Context(now(), q, queue != null && rt.handlers().containsKey(queue), down, policy(s, q), rt.fallback(),
        ThreadLocalRandom.current(), rt.horizon(), rt.firstAttemptInEnqueue(), incarnation(s, c),
        c instanceof Stop && CoordinatedShutdown.get(ctx.getSystem()).getShutdownReason().isPresent());
  }

  private ItemLife.Incarnation incarnation(State s, Command c) {
    boolean otherWaker = waker != null && c instanceof Wake w && w.replyTo() != null && !waker.equals(w.replyTo());
    return new ItemLife.Incarnation(enqueueing, permitRequested, holdingPermit,
        handlerRunning == null ? null : handlerRunning.execution(), stopWhenHandlerEnds,
        handlerRunning != null && handlerRunning.isCancelled(), waker != null, otherWaker,
        passivatedIn != null, passivatedIn != null && s != passivatedIn);
  }

  // ---- carrying out -----------------------------------------------------------------------

  /** Carries a decision out: the first intents now, then the events, then the rest and the answer. */
  private ReplyEffect<Event, State> carryOut(State s, ItemLife.Decision d) {
    d.first().forEach(i -> carry(i, s));
    if (d.stash()) {
      return Effect().stash();
    }
    if (d.stop()) {
      return Effect().stop().thenNoReply();
    }
    // The table is checked before the write too, so that a move outside it fails this command
    // loudly and never reaches the journal (where it would fail every recovery after).
    State after = s;
    for (Event e : d.events()) {
      after = after.apply(e);
    }
    EffectBuilder<Event, State> effect = d.events().isEmpty() ? Effect().none()
        : d.events().size() == 1 ? Effect().persist(d.events().get(0)) : Effect().persist(d.events());
    if (!d.then().isEmpty()) {
      effect = effect.thenRun(ns -> d.then().forEach(i -> carry(i, ns)));
    }
    ReplyEffect<Event, State> reply = answer(effect, d.answer());
    return d.unstash() ? reply.thenUnstashAll() : reply;
  }

  private ReplyEffect<Event, State> answer(EffectBuilder<Event, State> effect, ItemLife.Answer answer) {
    if (answer == null) {
      return effect.thenNoReply();
    } else if (answer instanceof ItemLife.AnswerItem a) {
      return effect.thenReply(a.to(), ns -> new Accepted(view(ns), a.created()));
    } else if (answer instanceof ItemLife.AnswerNotFound a) {
      return effect.thenReply(a.to(), ns -> new NotFound(id));
    } else if (answer instanceof ItemLife.AnswerRejected a) {
      return effect.thenReply(a.to(), ns -> new Rejected(view(ns), a.action()));
    } else if (answer instanceof ItemLife.AnswerDone a) {
      return effect.thenReply(a.to(), ns -> Done.getInstance());
    }
    throw new IllegalArgumentException("unknown answer " + answer);
  }

  /** Carries one intent out, with the state as it is then. */
  private void carry(ItemLife.Intent intent, State s) {
    if (intent instanceof ItemLife.RequestPermit) {
      permitRequested = true;
      // Older first within a priority; microseconds, so that items enqueued one after another keep their order.
      rt.dispatcher().tell(new Dispatcher.Request(id, s.queue(), s.priority(), order(s.createdAt()), grants, ctx.getSelf(), s.group()));
    } else if (intent instanceof ItemLife.TryFirstPermit t) {
      enqueueing = t.enqueue();
      Enqueue c = t.enqueue();
      rt.dispatcher().tell(new Dispatcher.TryRequest(new Dispatcher.Request(id, c.queue(), c.priority(), t.order(), grants, ctx.getSelf(), c.group())));
    } else if (intent instanceof ItemLife.EnqueueAnswered) {
      enqueueing = null;
    } else if (intent instanceof ItemLife.ReturnPermit) {
      returnPermit();
    } else if (intent instanceof ItemLife.HoldPermit) {
      permitRequested = false;
      holdingPermit = true;
    } else if (intent instanceof ItemLife.ForgetRequest) {
      permitRequested = false;
    } else if (intent instanceof ItemLife.InvokeHandler) {
      invokeHandler(s);
    } else if (intent instanceof ItemLife.SignalHandler) {
      signalHandler(s);
    } else if (intent instanceof ItemLife.HandlerEnded) {
      handlerRunning = null;
      timers.cancel(ItemLife.Timer.KILL);
    } else if (intent instanceof ItemLife.StopWhenHandlerEnds) {
      stopWhenHandlerEnds = true;
    } else if (intent instanceof ItemLife.StartTimer t) {
      timers.startSingleTimer(t.timer(), t.message(), t.delay());
    } else if (intent instanceof ItemLife.CancelTimer t) {
      timers.cancel(t.timer());
    } else if (intent instanceof ItemLife.ParkOnTools) {
      parkOnTools(s);
    } else if (intent instanceof ItemLife.ReportToTools r) {
      rt.toolSupervisor().tell(new ToolSupervisor.Outcome(r.tools(), r.kind(), r.message()));
    } else if (intent instanceof ItemLife.Publish p) {
      publish(p.state() != null ? p.state() : s, p.cause(), p.attemptStartedAt());
    } else if (intent instanceof ItemLife.Align) {
      if (s.exists()) {
        ItemLife.align(s, incarnation(s, null), now(), rt.horizon()).forEach(i -> carry(i, s));
      }
    } else if (intent instanceof ItemLife.Passivate) {
      if (passivatedIn == null) {
        shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(ctx.getSelf())));
      }
      passivatedIn = s;
    } else if (intent instanceof ItemLife.PassivateWhenIdle) {
      timers.startSingleTimer(ItemLife.Timer.IDLE, new Idle(), IDLE_PASSIVATION);
    } else if (intent instanceof ItemLife.AnswerWaker a) {
      if (waker != null) {
        waker.tell(new Woken(id, a.outcome()));
        waker = null;
      }
    } else if (intent instanceof ItemLife.KeepWaker k) {
      waker = k.waker();
    } else if (intent instanceof ItemLife.ReplyWoken r) {
      r.to().tell(new Woken(id, r.outcome()));
    } else if (intent instanceof ItemLife.TellSelf t) {
      ctx.getSelf().tell(t.message());
    } else if (intent instanceof ItemLife.WakeSelf) {
      ClusterSharding.get(ctx.getSystem()).entityRefFor(ENTITY_TYPE_KEY, id).tell(new Wake(null));
    } else if (intent instanceof ItemLife.Log l) {
      if (l.warn()) {
        ctx.getLog().warn("Item {}: {}", id, l.message());
      } else {
        ctx.getLog().debug("Item {}: {}", id, l.message());
      }
    } else {
      throw new IllegalArgumentException("unknown intent " + intent);
    }
  }

  private void onRecovered(State s) {
    boolean first = !recoveredOnce;
    recoveredOnce = true;
    if (!s.exists() && replayed > 0 && first) {
      HEADLESS_JOURNALS.incrementAndGet();
      ctx.getLog().warn("Item {}: its journal holds {} events but no Enqueued (a purge raced a write?); "
          + "left alone, the item is unknown", id, replayed);
    }
    ItemLife.recovered(s, now(), rt.horizon()).forEach(i -> carry(i, s));
  }

  /** Tells the running handler to stop and bounds the wait for its end by the kill grace. */
  private void signalHandler(State s) {
    if (handlerRunning != null && !handlerRunning.isCancelled()) {
      handlerRunning.cancel(rt.handlerExecutor());
      Duration grace = Optional.ofNullable(rt.queues().get(s.queue())).orElse(rt.fallback()).attemptKillGrace();
      timers.startSingleTimer(ItemLife.Timer.KILL, new HandlerGraceOver(handlerRunning.execution()), grace);
    }
  }

  /**
   * Tells each tool's MissingMetadata that this item parked on it after the Parked event, until acknowledged.
   * The index keeps the parked list; this covers a tool that came back while the item parked
   * (it releases the item at once).
   */
  private void parkOnTools(State s) {
    if (s.status() == ItemStatus.PARKED && !s.parkedOn().isEmpty()) {
      s.parkedOn().forEach(t -> rt.parkings().parked(t, id, s.priority(), s.updatedAt()));
    }
  }

  private void publish(State s, ItemTransition.Cause cause, Instant attemptStartedAt) {
    ctx.getSystem().eventStream().tell(new EventStream.Publish<>(
        new ItemTransition(s.id(), s.queue(), s.status(), s.attempts(), s.lastErrorKind(), s.createdAt(), s.updatedAt(),
            s.lastError(), cause, attemptStartedAt)));
  }

  private void invokeHandler(State s) {
    Optional<QueueSettings> q = Optional.ofNullable(rt.queues().get(s.queue()));
    JobHandler handler = rt.handlers().get(s.queue());
    int execution = s.executions();
    if (q.isEmpty() || handler == null) {
      ctx.getSelf().tell(new AttemptCompleted(execution, ErrorKind.PERMANENT, "no handler for queue '" + s.queue() + "' on this node", null, null, List.of()));
      return;
    }
    timers.startSingleTimer(ItemLife.Timer.ATTEMPT, new AttemptTimedOut(execution), q.get().attemptTimeout());
    ItemJobContext jobContext = new ItemJobContext(s, ctx.getSelf());
    handlerRunning = jobContext;
    // The attempt's span (docs/TRACING.md): current around the handler's call, ended with its outcome.
    AttemptSpan span = AttemptSpan.start(s.traceparent(), s.queue(), s.id(), s.attempts(), execution);
    // The outcome (a stack trace, for a failure) is worked out where the handler finished, not
    // on this actor's thread: pipeToSelf applies its function inside the actor.
    CompletableFuture<AttemptCompleted> outcome =
        CompletableFuture.supplyAsync(() -> span.around(() -> invoke(handler, jobContext)), rt.handlerExecutor())
            .thenCompose(stage -> stage == null ? CompletableFuture.<Void>completedFuture(null) : stage)
            .handle((ok, error) -> {
              AttemptCompleted done = Outcomes.completed(execution, error);
              span.end(done.kind(), done.message(), error, jobContext.isCancelled());
              return done;
            });
    ctx.pipeToSelf(outcome, (done, error) -> done != null ? done : Outcomes.completed(execution, error));
  }

  private static CompletionStage<Void> invoke(JobHandler handler, ItemJobContext context) {
    context.enter();
    try {
      return handler.handle(context);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    } finally {
      context.exit();
    }
  }

  /** Gives the permit back, or withdraws the request. */
  private void returnPermit() {
    permitRequested = false;
    holdingPermit = false;
    rt.dispatcher().tell(new Dispatcher.ReturnPermit(id));
  }

  private static long order(Instant createdAt) {
    return ItemLife.order(createdAt);
  }

  /** The item's own policy, else its queue's, else the defaults (a queue removed from config). */
  private static RetryPolicy policy(State s, QueueSettings q) {
    if (s.policy() != null) {
      return s.policy().toPolicy();
    }
    return q != null ? q.retryPolicy() : RetryPolicy.defaults();
  }

  private ItemView view(State s) {
    return s.view(policy(s, rt.queues().get(s.queue())).maxAttempts());
  }

  private Instant now() {
    return rt.clock().instant();
  }

  static String truncate(String s, int max) {
    return ItemLife.truncate(s, max);
  }
}
