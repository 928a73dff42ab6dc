package io.rebound.core.schedule;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.serialization.CborSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Enqueues the items of every schedule, one per tick. One per cluster (a cluster singleton, {@link
 * Schedules}), event-sourced: its journal holds each schedule's cursor (the tick it is done with),
 * last item and pause, so after a restart or a move to another node it knows which ticks it missed.
 *
 * <p>Exactly once per tick: a tick's item has the dedup key {@code schedule:<name>:<tick>}, so an
 * enqueue repeated after a crash between the enqueue and the {@link Fired} event, or by two
 * runners at once (a split brain), reaches the same item. The cursor then only moves forward.
 *
 * <p>Time: {@code now} is the clock's, and a Pekko timer wakes the runner at the next tick, so tests
 * drive both (ManualTime and a clock of their own).
 */
public final class ScheduleRunner extends EventSourcedBehavior<ScheduleRunner.Command, ScheduleRunner.Event, ScheduleRunner.State> {
  public static final String NAME = "rebound-schedules";
  /** The longest the runner sleeps without looking at its schedules again: a clock that jumps is noticed. */
  static final Duration MAX_SLEEP = Duration.ofMinutes(1);
  private static final String TICK = "tick";

  /** Enqueues one item and answers with its id. */
  @FunctionalInterface
  public interface Enqueuer {
    CompletionStage<String> enqueue(String queue, EnqueueRequest request);
  }

  // ---- commands ----------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  /** Every schedule as it is now. */
  public record Get(ActorRef<Answer> replyTo) implements Command {}

  /** Stops making items for the schedule until {@link Resume}; durable. */
  public record Pause(String name, ActorRef<Answer> replyTo) implements Command {}

  /** Makes items again from the next tick after now: ticks while paused are not made up. */
  public record Resume(String name, ActorRef<Answer> replyTo) implements Command {}

  /** Enqueues one item of the schedule now, with a key of its own (not a tick's). */
  public record Trigger(String name, ActorRef<Answer> replyTo) implements Command {}

  /** The singleton's stop message on a handoff. */
  public record Stop() implements Command {}

  record Tick() implements Command {}

  record Enqueued(String name, Instant tick, String itemId) implements Command {}

  record EnqueueFailed(String name, Instant tick, String error) implements Command {}

  record TriggerDone(String name, Instant at, String itemId, String error, ActorRef<Answer> replyTo) implements Command {}

  /**
   * The answer to every command: the schedules, and the item a trigger made. {@code unknown} names
   * a schedule that is not configured; {@code error} says why a trigger's enqueue failed.
   */
  public record Answer(List<ScheduleView> schedules, String itemId, String unknown, String error) implements CborSerializable {}

  // ---- events ------------------------------------------------------------------------------

  public sealed interface Event extends CborSerializable {}

  /** The runner saw the schedule for the first time: its ticks start after {@code cursor}. */
  public record Registered(String name, Instant cursor) implements Event {}

  /** Ticks up to and including {@code to} make no item (missed, per the schedule's {@code missed}). */
  public record Skipped(String name, Instant to) implements Event {}

  /** The tick made its item. */
  public record Fired(String name, Instant tick, String itemId) implements Event {}

  public record Paused(String name, Instant at) implements Event {}

  public record Resumed(String name, Instant at) implements Event {}

  /** An item enqueued by hand. */
  public record Triggered(String name, Instant at, String itemId) implements Event {}

  // ---- state -------------------------------------------------------------------------------

  /** One schedule's progress: ticks at or before {@code cursor} are done. */
  public record Entry(Instant cursor, Instant lastTick, String lastItemId, boolean paused) implements CborSerializable {}

  public record State(Map<String, Entry> entries) implements CborSerializable {
    static State empty() {
      return new State(Map.of());
    }

    State with(String name, Entry e) {
      Map<String, Entry> m = new HashMap<>(entries);
      m.put(name, e);
      return new State(Map.copyOf(m));
    }

    Entry get(String name) {
      return entries.get(name);
    }
  }

  // ---- behavior ----------------------------------------------------------------------------

  /** The runner, restarted with backoff when it fails (a journal write failed: the database is down). */
  public static Behavior<Command> create(ScheduleSettings settings, Enqueuer enqueuer, Clock clock) {
    return Behaviors.supervise(Behaviors.<Command>setup(ctx -> Behaviors.<Command>withTimers(timers ->
            new ScheduleRunner(ctx, timers, settings, enqueuer, clock))))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ScheduleSettings settings;
  private final Enqueuer enqueuer;
  private final Clock clock;
  /** Schedules with an enqueue in progress: one at a time each, so ticks make items in order. */
  private final Set<String> inFlight = new HashSet<>();
  /** Schedules whose last enqueue failed, and when to try again. */
  private final Map<String, Instant> retryAt = new HashMap<>();

  private ScheduleRunner(ActorContext<Command> ctx, TimerScheduler<Command> timers, ScheduleSettings settings, Enqueuer enqueuer,
      Clock clock) {
    super(PersistenceId.ofUniqueId(NAME), SupervisorStrategy.restartWithBackoff(Duration.ofMillis(500), Duration.ofSeconds(30), 0.2));
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.enqueuer = enqueuer;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  /** A snapshot every 100 events, older events deleted: recovery reads little however long it ran. */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> ctx.getSelf().tell(new Tick())).build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Tick.class, this::onTick)
        .onCommand(Enqueued.class, (state, c) -> Effect().persist(new Fired(c.name(), c.tick(), c.itemId())).thenRun(s -> {
          inFlight.remove(c.name());
          retryAt.remove(c.name());
          ctx.getSelf().tell(new Tick());
        }))
        .onCommand(EnqueueFailed.class, (state, c) -> {
          inFlight.remove(c.name());
          retryAt.put(c.name(), clock.instant().plus(settings.retryInterval()));
          ctx.getLog().warn("Schedule {}: enqueueing the item of tick {} failed, trying again in {}: {}",
              c.name(), c.tick(), settings.retryInterval(), c.error());
          arm(state);
          return Effect().none();
        })
        .onCommand(Get.class, (state, c) -> Effect().reply(c.replyTo(), answer(state, null)))
        .onCommand(Pause.class, this::onPause)
        .onCommand(Resume.class, this::onResume)
        .onCommand(Trigger.class, this::onTrigger)
        .onCommand(TriggerDone.class, this::onTriggerDone)
        .onCommand(Stop.class, (state, c) -> Effect().stop())
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(Registered.class, (s, e) -> s.with(e.name(), new Entry(e.cursor(), null, null, false)))
        .onEvent(Skipped.class, (s, e) -> update(s, e.name(), x -> new Entry(later(x.cursor(), e.to()), x.lastTick(), x.lastItemId(), x.paused())))
        .onEvent(Fired.class, (s, e) -> update(s, e.name(), x -> new Entry(later(x.cursor(), e.tick()), e.tick(), e.itemId(), x.paused())))
        .onEvent(Paused.class, (s, e) -> update(s, e.name(), x -> new Entry(x.cursor(), x.lastTick(), x.lastItemId(), true)))
        // Ticks while paused are not made up: the cursor moves to the resume.
        .onEvent(Resumed.class, (s, e) -> update(s, e.name(), x -> new Entry(later(x.cursor(), e.at()), x.lastTick(), x.lastItemId(), false)))
        .onEvent(Triggered.class, (s, e) -> update(s, e.name(), x -> new Entry(x.cursor(), x.lastTick(), e.itemId(), x.paused())))
        .build();
  }

  // ---- ticks -------------------------------------------------------------------------------

  private Effect<Event, State> onTick(State state, Tick t) {
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    for (Schedule s : settings.schedules().values()) {
      Entry e = state.get(s.name());
      if (e == null) {
        // First sight: its ticks start now (nothing before the schedule existed is "missed").
        events.add(new Registered(s.name(), now));
        continue;
      }
      if (e.paused() || inFlight.contains(s.name()) || retryAt.getOrDefault(s.name(), Instant.MIN).isAfter(now)) {
        continue;
      }
      Catchup.Step step = Catchup.next(s, e.cursor(), now, settings.misfireThreshold(), settings.runAllMax());
      if (step instanceof Catchup.Skip skip) {
        ctx.getLog().info("Schedule {}: ticks up to {} were missed and make no item (missed = {})", s.name(), skip.to(),
            s.missed().configName());
        events.add(new Skipped(s.name(), skip.to()));
      } else if (step instanceof Catchup.Fire fire) {
        fire(s, fire.tick());
      }
    }
    if (events.isEmpty()) {
      arm(state);
      return Effect().none();
    }
    // Look again once they are recorded: a skip is followed by the tick the policy runs.
    return Effect().persist(events).thenRun(s -> ctx.getSelf().tell(new Tick()));
  }

  private void fire(Schedule s, Instant tick) {
    inFlight.add(s.name());
    EnqueueRequest request = EnqueueRequest.builder(s.payload()).key(s.tickKey(tick)).priority(s.priority()).build();
    ctx.pipeToSelf(enqueuer.enqueue(s.queue(), request), (id, error) -> error == null
        ? new Enqueued(s.name(), tick, id)
        : new EnqueueFailed(s.name(), tick, String.valueOf(error.getMessage())));
  }

  /** One timer, at the earliest next tick (or retry) of the schedules that run. */
  private void arm(State state) {
    Instant now = clock.instant();
    Instant wake = now.plus(MAX_SLEEP);
    for (Schedule s : settings.schedules().values()) {
      Entry e = state.get(s.name());
      if (e == null || e.paused() || inFlight.contains(s.name())) {
        continue;
      }
      Instant retry = retryAt.get(s.name());
      Instant due = retry != null && retry.isAfter(now) ? retry : s.nextAfter(e.cursor()).orElse(null);
      if (due != null && due.isBefore(wake)) {
        wake = due;
      }
    }
    Duration delay = Duration.between(now, wake);
    timers.startSingleTimer(TICK, new Tick(), delay.isNegative() ? Duration.ZERO : delay);
  }

  // ---- operators ---------------------------------------------------------------------------

  private Effect<Event, State> onPause(State state, Pause c) {
    Entry e = state.get(c.name());
    if (!settings.schedules().containsKey(c.name())) {
      return Effect().reply(c.replyTo(), unknown(state, c.name()));
    }
    if (e != null && e.paused()) {
      return Effect().reply(c.replyTo(), answer(state, null));
    }
    List<Event> events = new ArrayList<>();
    Instant now = clock.instant();
    if (e == null) {
      events.add(new Registered(c.name(), now));
    }
    events.add(new Paused(c.name(), now));
    return Effect().persist(events).thenReply(c.replyTo(), s -> answer(s, null));
  }

  private Effect<Event, State> onResume(State state, Resume c) {
    Entry e = state.get(c.name());
    if (!settings.schedules().containsKey(c.name())) {
      return Effect().reply(c.replyTo(), unknown(state, c.name()));
    }
    if (e == null || !e.paused()) {
      return Effect().reply(c.replyTo(), answer(state, null));
    }
    return Effect().persist(new Resumed(c.name(), clock.instant()))
        .thenRun(s -> ctx.getSelf().tell(new Tick()))
        .thenReply(c.replyTo(), s -> answer(s, null));
  }

  private Effect<Event, State> onTrigger(State state, Trigger c) {
    Schedule s = settings.schedules().get(c.name());
    if (s == null) {
      return Effect().reply(c.replyTo(), unknown(state, c.name()));
    }
    Instant at = clock.instant();
    EnqueueRequest request = EnqueueRequest.builder(s.payload()).key(s.triggerKey(at)).priority(s.priority()).build();
    ctx.pipeToSelf(enqueuer.enqueue(s.queue(), request), (id, error) ->
        new TriggerDone(s.name(), at, id, error == null ? null : String.valueOf(error.getMessage()), c.replyTo()));
    return Effect().none();
  }

  private Effect<Event, State> onTriggerDone(State state, TriggerDone c) {
    if (c.error() != null) {
      return Effect().reply(c.replyTo(), new Answer(views(state), null, null, c.error()));
    }
    if (state.get(c.name()) == null) {
      return Effect().persist(List.of(new Registered(c.name(), c.at()), new Triggered(c.name(), c.at(), c.itemId())))
          .thenReply(c.replyTo(), s -> answer(s, c.itemId()));
    }
    return Effect().persist(new Triggered(c.name(), c.at(), c.itemId())).thenReply(c.replyTo(), s -> answer(s, c.itemId()));
  }

  // ---- views -------------------------------------------------------------------------------

  private Answer answer(State state, String itemId) {
    return new Answer(views(state), itemId, null, null);
  }

  private Answer unknown(State state, String name) {
    return new Answer(views(state), null, name, null);
  }

  private List<ScheduleView> views(State state) {
    Instant now = clock.instant();
    return settings.schedules().values().stream().sorted((a, b) -> a.name().compareTo(b.name())).map(s -> {
      Entry e = state.get(s.name());
      boolean paused = e != null && e.paused();
      Instant next = paused ? null : s.nextAfter(e == null ? now : e.cursor()).orElse(null);
      return new ScheduleView(s.name(), s.cron(), s.zone().getId(), s.queue(), s.priority(), s.missed().configName(), paused, next,
          e == null ? null : e.lastTick(), e == null ? null : e.lastItemId());
    }).toList();
  }

  private static State update(State s, String name, java.util.function.UnaryOperator<Entry> f) {
    Entry e = s.get(name);
    return e == null ? s : s.with(name, f.apply(e));
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
