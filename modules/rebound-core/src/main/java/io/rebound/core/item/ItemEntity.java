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
import io.rebound.core.tools.MissingMetadata;
import io.rebound.core.tools.ToolSupervisor;
import io.rebound.core.tracing.AttemptSpan;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
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
 */
public final class ItemEntity extends EventSourcedBehaviorWithEnforcedReplies<ItemEntity.Command, ItemEntity.Event, ItemEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Item");

  static final int MAX_MESSAGE = 2_000;
  static final int MAX_STACK_TRACE = 8_000;
  private static final Duration IDLE_PASSIVATION = Duration.ofSeconds(2);
  private static final Duration MAX_RETRY_AFTER = Duration.ofDays(365);
  private static final String ATTEMPT_TIMER = "attempt";
  private static final String DUE_TIMER = "due";
  private static final String IDLE_TIMER = "idle";
  private static final String KILL_TIMER = "kill";
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

  /** A tool it was parked on is back (from MissingMetadata): to PENDING, keeping its priority. */
  public record Release(ActorRef<Done> replyTo) implements Command {}

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

    State apply(Event event) {
      if (!exists() && !(event instanceof Enqueued)) {
        // A journal without its Enqueued (a purge raced a write): nothing to build an item from.
        // The item stays unknown (logged on recovery) rather than crash-looping on missing fields.
        return this;
      }
      if (event instanceof Enqueued e) {
        return new State(e.id(), e.queue(), e.key(), e.payload(), e.priority(), ItemStatus.PENDING, 0, 0, e.at(), e.at(), e.notBefore(), null, null, e.policy(), List.of(), null,
            e.group(), e.traceparent());
      } else if (event instanceof AttemptStarted e) {
        return with(ItemStatus.RUNNING, e.attempt(), e.execution(), e.at(), null, lastErrorKind, lastError);
      } else if (event instanceof Succeeded e) {
        return with(ItemStatus.SUCCEEDED, attempts, executions, e.at(), null, lastErrorKind, lastError).counted();
      } else if (event instanceof AttemptFailed e) {
        // With no next attempt a DeadLettered event follows in the same write.
        ItemStatus next = e.nextAttemptAt() == null ? ItemStatus.RUNNING : ItemStatus.WAITING;
        return with(next, attempts, executions, e.at(), e.nextAttemptAt(), e.kind(), e.message()).counted();
      } else if (event instanceof DeadLettered e) {
        return with(ItemStatus.DEAD_LETTERED, attempts, executions, e.at(), null, lastErrorKind, lastError);
      } else if (event instanceof Parked e) {
        return new State(id, queue, key, payload, priority, ItemStatus.PARKED, e.attempts(), executions, createdAt, e.at(),
            e.until(), ErrorKind.TOOL_UNAVAILABLE, e.message(), policy, List.copyOf(e.tools()),
            parkedSince != null ? parkedSince : e.at(), group, traceparent);
      } else if (event instanceof Unparked e) {
        return with(ItemStatus.PENDING, attempts, executions, e.at(), null, lastErrorKind, lastError);
      } else if (event instanceof Cancelled e) {
        return with(ItemStatus.CANCELLED, attempts, executions, e.at(), null, lastErrorKind, lastError);
      } else if (event instanceof Redriven e) {
        return with(ItemStatus.PENDING, 0, executions, e.at(), null, lastErrorKind, lastError).counted();
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

  /** Starts sharding for items on this node. */
  public static void init(ActorSystem<?> system, ItemRuntime runtime) {
    ClusterSharding.get(system)
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

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forState(s -> enqueueing != null)
        .onCommand(PermitGranted.class, this::onFirstPermitGranted)
        .onCommand(PermitBusy.class, (s, c) -> enqueueAlone(s))
        .onCommand(PermitDeferred.class, (s, c) -> enqueueAlone(s))
        .onAnyCommand((s, c) -> Effect().stash());
    builder
        .forAnyState()
        .onCommand(Enqueue.class, this::onEnqueue)
        .onCommand(GetItem.class, this::onGet)
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(Redrive.class, this::onRedrive)
        .onCommand(Release.class, this::onRelease)
        .onCommand(PermitGranted.class, this::onPermitGranted)
        .onCommand(PermitDeferred.class, this::onPermitDeferred)
        .onCommand(AttemptCompleted.class, this::onAttemptCompleted)
        .onCommand(AttemptTimedOut.class, this::onTimedOut)
        .onCommand(Heartbeat.class, this::onHeartbeat)
        .onCommand(RecoverOrphan.class, this::onRecoverOrphan)
        .onCommand(Due.class, this::onDue)
        .onCommand(Idle.class, this::onIdle)
        .onCommand(Stop.class, this::onStop)
        .onCommand(Wake.class, this::onWake)
        .onCommand(HandlerGraceOver.class, this::onHandlerGraceOver);
    // The builders are tried in order: while an enqueue waits for its permit answer, the first.
    return builder.build();
  }

  // ---- command handlers -------------------------------------------------------------------

  private ReplyEffect<Event, State> onEnqueue(State s, Enqueue c) {
    if (s.exists()) {
      return Effect().reply(c.replyTo(), new Accepted(view(s), false));
    }
    timers.cancel(IDLE_TIMER);
    Instant now = now();
    Instant notBefore = c.notBefore() != null && c.notBefore().isAfter(now) ? c.notBefore() : null;
    if (rt.firstAttemptInEnqueue() && notBefore == null && rt.queues().containsKey(c.queue()) && rt.handlers().containsKey(c.queue())) {
      // Due at once: if a permit is free now, the first attempt starts in the enqueue's own write
      // (one journal write and one index change fewer per item, and no round trip before it runs).
      enqueueing = c;
      long order = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
      rt.dispatcher().tell(new Dispatcher.TryRequest(new Dispatcher.Request(id, c.queue(), c.priority(), order, grants, ctx.getSelf(), c.group())));
      return Effect().noReply();
    }
    return Effect()
        .persist(enqueued(c, now, notBefore))
        .thenRun(this::changed)
        .thenReply(c.replyTo(), ns -> new Accepted(view(ns), true));
  }

  private Enqueued enqueued(Enqueue c, Instant now, Instant notBefore) {
    return new Enqueued(id, c.queue(), c.key(), c.payload(), c.priority(), now, notBefore, c.policy(), c.group(), c.traceparent());
  }

  /** The permit for a new item's first attempt: enqueue and start it in one write. */
  private ReplyEffect<Event, State> onFirstPermitGranted(State s, PermitGranted c) {
    Enqueue e = enqueueing;
    enqueueing = null;
    Instant now = now();
    Enqueued created = enqueued(e, now, null);
    State pending = s.apply(created);
    if (!rt.toolHealth().down(rt.queues().get(e.queue()).tools()).isEmpty()) {
      // A tool is down: enqueue alone; asking again for a permit parks it, as for any item.
      release();
      return enqueueAlone(s, e, now);
    }
    holdingPermit = true;
    return Effect()
        .persist(List.of(created, new AttemptStarted(1, 1, now)))
        .thenRun(ns -> {
          publish(pending);
          startAttempt(ns);
        })
        .thenReply(e.replyTo(), ns -> new Accepted(view(ns), true))
        .thenUnstashAll();
  }

  private ReplyEffect<Event, State> enqueueAlone(State s) {
    Enqueue e = enqueueing;
    enqueueing = null;
    return enqueueAlone(s, e, now());
  }

  private ReplyEffect<Event, State> enqueueAlone(State s, Enqueue e, Instant now) {
    return Effect()
        .persist(enqueued(e, now, null))
        .thenRun(this::changed)
        .thenReply(e.replyTo(), ns -> new Accepted(view(ns), true))
        .thenUnstashAll();
  }

  private ReplyEffect<Event, State> onGet(State s, GetItem c) {
    if (!s.exists()) {
      passivateWhenIdle();
      return Effect().reply(c.replyTo(), new NotFound(id));
    }
    return Effect().reply(c.replyTo(), new Accepted(view(s), false));
  }

  private ReplyEffect<Event, State> onCancel(State s, Cancel c) {
    if (!s.exists()) {
      passivateWhenIdle();
      return Effect().reply(c.replyTo(), new NotFound(id));
    }
    if (!s.status().canMoveTo(ItemStatus.CANCELLED)) {
      return Effect().reply(c.replyTo(), new Rejected(view(s), "cancel"));
    }
    // The running handler is told to stop; its outcome is fenced off because the item is no longer
    // RUNNING, and the permit is held until it has ended.
    signalHandler(s);
    return Effect()
        .persist(new Cancelled(c.reason(), now()))
        .thenRun(this::changed)
        .thenReply(c.replyTo(), ns -> new Accepted(view(ns), false));
  }

  private ReplyEffect<Event, State> onRedrive(State s, Redrive c) {
    if (!s.exists()) {
      passivateWhenIdle();
      return Effect().reply(c.replyTo(), new NotFound(id));
    }
    // Only a dead letter is redriven (PARKED -> PENDING is the item's own unparking).
    if (s.status() != ItemStatus.DEAD_LETTERED) {
      return Effect().reply(c.replyTo(), new Rejected(view(s), "redrive"));
    }
    timers.cancel(IDLE_TIMER);
    return Effect()
        .persist(new Redriven(now()))
        .thenRun(this::changed)
        .thenReply(c.replyTo(), ns -> new Accepted(view(ns), false));
  }

  private ReplyEffect<Event, State> onRelease(State s, Release c) {
    if (s.status() != ItemStatus.PARKED) {
      // Already released (a repeat after a crash), or it left PARKED some other way.
      if (!s.exists()) {
        passivateWhenIdle();
      }
      return Effect().reply(c.replyTo(), Done.getInstance());
    }
    return Effect().persist(new Unparked(now())).thenRun(this::changed).thenReply(c.replyTo(), ns -> Done.getInstance());
  }

  private ReplyEffect<Event, State> onPermitGranted(State s, PermitGranted c) {
    boolean ready = (s.status() == ItemStatus.PENDING || s.status() == ItemStatus.WAITING) && isDue(s);
    if (!permitRequested || !ready) {
      // The dispatcher counts this permit as out: give it back.
      release();
      return Effect().noReply();
    }
    List<String> down = settings(s).map(q -> rt.toolHealth().down(q.tools())).orElse(List.of());
    if (!down.isEmpty()) {
      // Checked against the node's view, no round trip: park rather than burn an attempt.
      release();
      answerWaker(WakeOutcome.IDLE);
      return park(s, s.attempts(), 0, down, "tools down: " + String.join(", ", down));
    }
    permitRequested = false;
    holdingPermit = true;
    answerWaker(WakeOutcome.STARTED);
    return Effect()
        .persist(new AttemptStarted(s.attempts() + 1, s.executions() + 1, now()))
        .thenRun(this::startAttempt)
        .thenNoReply();
  }

  /** The node has enough items of this queue waiting: this one waits in the journal and the index instead. */
  private ReplyEffect<Event, State> onPermitDeferred(State s, PermitDeferred c) {
    if (permitRequested) {
      permitRequested = false;
      answerWaker(WakeOutcome.DEFERRED);
      passivate(s);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onWake(State s, Wake c) {
    if (isOpen(s) && s.status() != ItemStatus.RUNNING && !permitRequested) {
      // In memory already (asked something while not due, say) and due now: take the work up.
      arm(s);
    }
    if (c.replyTo() == null) {
      return Effect().noReply();
    }
    if (permitRequested) {
      // Answered when the permit comes (or the dispatcher defers it); a repeat replaces nothing.
      if (waker != null && !waker.equals(c.replyTo())) {
        answerWaker(WakeOutcome.IDLE);
      }
      waker = c.replyTo();
    } else {
      c.replyTo().tell(new Woken(id, s.status() == ItemStatus.RUNNING ? WakeOutcome.STARTED : WakeOutcome.IDLE));
      if (!s.exists()) {
        passivateWhenIdle();
      }
    }
    return Effect().noReply();
  }

  private void answerWaker(WakeOutcome outcome) {
    if (waker != null) {
      waker.tell(new Woken(id, outcome));
      waker = null;
    }
  }

  private ReplyEffect<Event, State> onAttemptCompleted(State s, AttemptCompleted c) {
    boolean ended = handlerEnded(c.execution());
    if (ended && stopWhenHandlerEnds) {
      // A handoff waited for this handler: it stops once this outcome (if current) is recorded.
      ctx.getSelf().tell(new Stop());
    }
    if (!isCurrent(s, c.execution())) {
      ctx.getLog().debug("Item {}: ignoring the late outcome of execution {}", id, c.execution());
      if (ended && !stopWhenHandlerEnds && s.exists()) {
        // Its handler has really ended now: give the permit back, go on with the next attempt.
        arm(s);
      }
      return Effect().noReply();
    }
    List<String> queueTools = settings(s).map(QueueSettings::tools).orElse(List.of());
    if (!queueTools.isEmpty()) {
      rt.toolSupervisor().tell(new ToolSupervisor.Outcome(
          c.kind() == ErrorKind.TOOL_UNAVAILABLE ? toolsOf(c, queueTools) : queueTools, c.kind(), c.message()));
    }
    if (c.kind() == null) {
      return Effect().persist(new Succeeded(s.attempts(), s.executions(), now())).thenRun(this::changed).thenNoReply();
    }
    if (c.kind() == ErrorKind.TOOL_UNAVAILABLE) {
      return park(s, s.attempts() - 1, s.executions(), toolsOf(c, queueTools), c.message());
    }
    if (stopWhenHandlerEnds && c.kind() == ErrorKind.TRANSIENT) {
      // The node (or the item's shard) is going away and told the handler to stop: the attempt
      // was cut off by its node, which is what ORPHANED says, not the handler's own failure.
      return fail(s, ErrorKind.ORPHANED, "the node stopped during attempt " + s.attempts() + " (the handler ended with: "
          + c.message() + ")", c.stackTrace(), null);
    }
    return fail(s, c.kind(), c.message(), c.stackTrace(), c.retryAfter());
  }

  private ReplyEffect<Event, State> onTimedOut(State s, AttemptTimedOut c) {
    if (!isCurrent(s, c.execution())) {
      return Effect().noReply();
    }
    Duration timeout = settings(s).map(QueueSettings::attemptTimeout).orElse(Duration.ZERO);
    String message = "no outcome or heartbeat within " + timeout;
    // A hanging tool is the commonest way a tool fails: its breaker must see timeouts too.
    settings(s).filter(q -> !q.tools().isEmpty())
        .ifPresent(q -> rt.toolSupervisor().tell(new ToolSupervisor.Outcome(q.tools(), ErrorKind.TIMEOUT, message)));
    signalHandler(s);
    return fail(s, ErrorKind.TIMEOUT, message, null, null);
  }

  private ReplyEffect<Event, State> onHeartbeat(State s, Heartbeat c) {
    if (isCurrent(s, c.execution())) {
      settings(s).ifPresent(q -> timers.startSingleTimer(ATTEMPT_TIMER, new AttemptTimedOut(c.execution()), q.attemptTimeout()));
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onRecoverOrphan(State s, RecoverOrphan c) {
    // Still RUNNING with the execution found at recovery: nothing in this incarnation started it.
    if (!isCurrent(s, c.execution())) {
      return Effect().noReply();
    }
    return fail(s, ErrorKind.ORPHANED, "the node stopped during attempt " + s.attempts(), null, null);
  }

  private ReplyEffect<Event, State> onDue(State s, Due c) {
    if (s.status() == ItemStatus.PARKED) {
      if (!isDue(s)) {
        return rearm(s);
      }
      boolean expired = s.parkedSince() != null
          && !now().isBefore(s.parkedSince().plus(settings(s).map(QueueSettings::maxPark).orElse(Duration.ofHours(24))));
      if (s.parkedOn().isEmpty() && !expired) {
        return Effect().persist(new Unparked(now())).thenRun(this::changed).thenNoReply();
      }
      // Waited for its tools longer than max-park.
      return Effect()
          .persist(new DeadLettered(ErrorKind.TOOL_UNAVAILABLE, now()))
          .thenRun(this::changed)
          .thenNoReply();
    }
    if (s.status() == ItemStatus.PENDING || s.status() == ItemStatus.WAITING) {
      if (!isDue(s)) {
        return rearm(s);
      }
      requestPermit(s);
    }
    return Effect().noReply();
  }

  /**
   * A command that arrived after the item asked to passivate (a redrive of a dead letter, an
   * enqueue of a new id) may have given it work within the horizon. Stopping would then leave
   * that work to the waker, a poll and the index's lag later: so it wakes itself through
   * sharding, which starts it again once it has stopped.
   */
  private ReplyEffect<Event, State> onStop(State s, Stop c) {
    if (handlerRunning != null) {
      // A handoff or node shutdown: the handler is told to stop, and the item moves only once it
      // ended (its outcome recorded here) or its kill grace passed, so that no attempt of it can
      // start elsewhere while this one still runs.
      stopWhenHandlerEnds = true;
      signalHandler(s);
      return Effect().noReply();
    }
    // Only after its own request, and only when a later command changed it: a handoff or a node
    // shutdown stops items with work on purpose (the waker finds them in the index).
    if (passivatedIn != null && s != passivatedIn && inMemory(s)) {
      ClusterSharding.get(ctx.getSystem()).entityRefFor(ENTITY_TYPE_KEY, id).tell(new Wake(null));
    }
    answerWaker(WakeOutcome.IDLE);
    return Effect().stop().thenNoReply();
  }

  private ReplyEffect<Event, State> onIdle(State s, Idle c) {
    if (!inMemory(s)) {
      if (!permitRequested && !holdingPermit) {
        passivate(s);
      }
    } else if (isOpen(s) && s.status() != ItemStatus.RUNNING && !permitRequested) {
      // It came within the horizon while it idled here: take the work up.
      arm(s);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onHandlerGraceOver(State s, HandlerGraceOver c) {
    if (handlerRunning != null && handlerRunning.execution() == c.execution()) {
      ctx.getLog().warn("Item {}: the handler of execution {} did not end within {} of being told to stop; going on without it",
          id, c.execution(), killGrace(s));
      handlerRunning = null;
      if (stopWhenHandlerEnds) {
        ctx.getSelf().tell(new Stop());
      } else if (s.exists()) {
        arm(s);
      }
    }
    return Effect().noReply();
  }

  /** Tells the running handler to stop and bounds the wait for its end by the kill grace. */
  private void signalHandler(State s) {
    if (handlerRunning != null && !handlerRunning.isCancelled()) {
      handlerRunning.cancel(rt.handlerExecutor());
      timers.startSingleTimer(KILL_TIMER, new HandlerGraceOver(handlerRunning.execution()), killGrace(s));
    }
  }

  /** Whether this outcome ends the handler the item waits for. */
  private boolean handlerEnded(int execution) {
    if (handlerRunning != null && handlerRunning.execution() == execution) {
      handlerRunning = null;
      timers.cancel(KILL_TIMER);
      return true;
    }
    return false;
  }

  private Duration killGrace(State s) {
    return settings(s).map(QueueSettings::attemptKillGrace).orElse(Duration.ofSeconds(10));
  }

  private static boolean isOpen(State s) {
    return s.exists() && !s.status().isTerminal();
  }

  // ---- helpers ----------------------------------------------------------------------------

  /**
   * Parks the item without burning an attempt. With tools to wait for, it registers with each
   * tool's MissingMetadata and is dead-lettered after max-park; without, it tries again after
   * park-retry.
   */
  private ReplyEffect<Event, State> park(State s, int attemptsAfter, int execution, List<String> tools, String message) {
    Instant at = now();
    // max-park counts from the first parking since the last counted attempt, so that an item a
    // handler keeps parking (or an operator keeps releasing) still ends in the dead letters.
    Instant deadline = (s.parkedSince() != null ? s.parkedSince() : at)
        .plus(settings(s).map(QueueSettings::maxPark).orElse(Duration.ofHours(24)));
    Instant until = tools.isEmpty()
        ? min(at.plus(settings(s).map(QueueSettings::parkRetry).orElse(Duration.ofSeconds(30))), deadline)
        : deadline;
    return Effect()
        .persist(new Parked(attemptsAfter, execution, tools, truncate(message, MAX_MESSAGE), at, until))
        .thenRun(this::register)
        .thenRun(this::changed)
        .thenNoReply();
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** The queue's tools the handler named; all of them when it named none it knows. */
  private static List<String> toolsOf(AttemptCompleted c, List<String> queueTools) {
    List<String> named = c.tools().stream().filter(queueTools::contains).toList();
    return named.isEmpty() ? queueTools : named;
  }

  /**
   * Tells each tool's MissingMetadata that this item parked on it after the Parked event, until acknowledged.
   * The index keeps the parked list; this covers a tool that came back while the item parked
   * (it releases the item at once).
   */
  private void register(State s) {
    if (s.status() == ItemStatus.PARKED && !s.parkedOn().isEmpty()) {
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      s.parkedOn().forEach(t ->
          io.rebound.core.tools.ParkRegistration.register(ctx.getSystem(), sharding.entityRefFor(MissingMetadata.ENTITY_TYPE_KEY, t),
              id, s.priority(), s.updatedAt()));
    }
  }

  /** Records a failed attempt and what follows it: a backoff, or the dead letters. */
  private ReplyEffect<Event, State> fail(State s, ErrorKind kind, String message, String stackTrace, Duration retryAfter) {
    Instant at = now();
    RetryPolicy policy = policy(s);
    Optional<Duration> delay = policy.retryDelay(Math.max(1, s.attempts()), kind, ThreadLocalRandom.current());
    String msg = truncate(message, MAX_MESSAGE);
    String trace = truncate(stackTrace, MAX_STACK_TRACE);
    if (delay.isEmpty()) {
      return Effect()
          .persist(List.of(new AttemptFailed(s.attempts(), s.executions(), kind, msg, trace, at, null), new DeadLettered(kind, at)))
          .thenRun(this::changed)
          .thenNoReply();
    }
    // A server's Retry-After is honoured up to the longest delay a policy may have.
    Duration wait = retryAfter == null ? delay.get() : retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
    Instant next = at.plus(wait);
    return Effect()
        .persist(new AttemptFailed(s.attempts(), s.executions(), kind, msg, trace, at, next))
        .thenRun(this::changed)
        .thenNoReply();
  }

  /** After a persisted change: tell the node, then line the runtime side up with the new state. */
  private void changed(State s) {
    publish(s);
    arm(s);
  }

  private void publish(State s) {
    ctx.getSystem().eventStream().tell(new EventStream.Publish<>(
        new ItemTransition(s.id(), s.queue(), s.status(), s.attempts(), s.lastErrorKind(), s.createdAt(), s.updatedAt(),
            s.lastError())));
  }

  /** Puts the actor's runtime side (timers, permits, passivation) in line with a new state. */
  private void arm(State s) {
    timers.cancel(DUE_TIMER);
    if (s.status() != ItemStatus.RUNNING) {
      timers.cancel(ATTEMPT_TIMER);
      // The permit stays out until the handler has really ended (or outlived its kill grace).
      if (holdingPermit && handlerRunning == null) {
        release();
      }
    }
    switch (s.status()) {
      case PENDING, WAITING -> {
        if (isDue(s)) {
          requestPermit(s);
        } else {
          withdrawRequest();
          timers.startSingleTimer(DUE_TIMER, new Due(), untilDue(s));
        }
      }
      case PARKED -> {
        withdrawRequest();
        timers.startSingleTimer(DUE_TIMER, new Due(), untilDue(s));
      }
      case RUNNING -> {}
      case SUCCEEDED, DEAD_LETTERED, CANCELLED -> withdrawRequest();
    }
    if (!inMemory(s) && handlerRunning == null) {
      // Nothing to do within the horizon: leave memory; the waker brings it back when it is due.
      answerWaker(WakeOutcome.IDLE);
      passivate(s);
    }
  }

  /**
   * Whether the item has work soon enough to stay in memory: an attempt running, or a due time
   * (a delay, a backoff, a parking without tools, max-park) within the horizon. Anything further
   * away waits in the journal, and the index's {@code wake_at} tells the waker when.
   */
  private boolean inMemory(State s) {
    if (!s.exists()) {
      return false;
    }
    return switch (s.status()) {
      case RUNNING -> true;
      case PENDING, WAITING, PARKED -> untilDue(s).compareTo(rt.horizon()) <= 0;
      case SUCCEEDED, DEAD_LETTERED, CANCELLED -> false;
    };
  }

  private ReplyEffect<Event, State> rearm(State s) {
    timers.startSingleTimer(DUE_TIMER, new Due(), untilDue(s));
    return Effect().noReply();
  }

  private void onRecovered(State s) {
    boolean first = !recoveredOnce;
    recoveredOnce = true;
    if (!s.exists()) {
      long events = replayed;
      if (events > 0 && first) {
        HEADLESS_JOURNALS.incrementAndGet();
        ctx.getLog().warn("Item {}: its journal holds {} events but no Enqueued (a purge raced a write?); "
            + "left alone, the item is unknown", id, events);
      }
      // Unknown (a Wake or Release of an id that is gone): leaves memory unless an Enqueue comes.
      passivateWhenIdle();
      return;
    }
    if (s.status() == ItemStatus.RUNNING) {
      ctx.getSelf().tell(new RecoverOrphan(s.executions()));
    } else if (!inMemory(s)) {
      // Started to be asked something (or by a waker early): stay a moment for what follows.
      passivateWhenIdle();
    } else {
      arm(s);
    }
  }

  private void startAttempt(State s) {
    publish(s);
    Optional<QueueSettings> q = settings(s);
    JobHandler handler = rt.handlers().get(s.queue());
    int execution = s.executions();
    if (q.isEmpty() || handler == null) {
      ctx.getSelf().tell(new AttemptCompleted(execution, ErrorKind.PERMANENT, "no handler for queue '" + s.queue() + "' on this node", null, null, List.of()));
      return;
    }
    timers.startSingleTimer(ATTEMPT_TIMER, new AttemptTimedOut(execution), q.get().attemptTimeout());
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

  private void requestPermit(State s) {
    // No new attempt while the last one's handler may still run, nor while the item is moving.
    if (!permitRequested && handlerRunning == null && !stopWhenHandlerEnds) {
      permitRequested = true;
      // Older first within a priority; microseconds, so that items enqueued one after another keep their order.
      long order = s.createdAt().getEpochSecond() * 1_000_000L + s.createdAt().getNano() / 1_000;
      rt.dispatcher().tell(new Dispatcher.Request(id, s.queue(), s.priority(), order, grants, ctx.getSelf(), s.group()));
    }
  }

  /** Gives the permit back, or withdraws the request. */
  private void release() {
    permitRequested = false;
    holdingPermit = false;
    rt.dispatcher().tell(new Dispatcher.Release(id));
  }

  private void withdrawRequest() {
    if (permitRequested) {
      release();
    }
  }

  private void passivate(State s) {
    if (passivatedIn == null) {
      shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(ctx.getSelf())));
    }
    passivatedIn = s;
  }

  private void passivateWhenIdle() {
    timers.startSingleTimer(IDLE_TIMER, new Idle(), IDLE_PASSIVATION);
  }

  private boolean isCurrent(State s, int execution) {
    return s.status() == ItemStatus.RUNNING && s.executions() == execution;
  }

  private boolean isDue(State s) {
    return s.nextAttemptAt() == null || !s.nextAttemptAt().isAfter(now());
  }

  private Duration untilDue(State s) {
    if (s.nextAttemptAt() == null) {
      return Duration.ZERO;
    }
    Duration d = Duration.between(now(), s.nextAttemptAt());
    return d.isNegative() ? Duration.ZERO : d;
  }

  private Optional<QueueSettings> settings(State s) {
    return Optional.ofNullable(rt.queues().get(s.queue()));
  }

  /** The item's own policy, else its queue's, else the defaults (a queue removed from config). */
  private RetryPolicy policy(State s) {
    if (s.policy() != null) {
      return s.policy().toPolicy();
    }
    return settings(s).map(QueueSettings::retryPolicy).orElse(RetryPolicy.defaults());
  }

  private ItemView view(State s) {
    return s.view(policy(s).maxAttempts());
  }

  private Instant now() {
    return rt.clock().instant();
  }

  static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
