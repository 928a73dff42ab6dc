package io.rebound.core.tools;

import io.rebound.core.CborSerializable;
import io.rebound.core.item.ItemEntity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One per tool: durably remembers the items parked because the tool was down, and when the tool
 * is up again releases them, highest priority first, at {@code release-rate} items per second so
 * that a recovering service is not stampeded. A release is asked of the item first and recorded
 * when the item confirms: after a crash in between, the item is asked again, which it ignores if
 * it already left PARKED. Nothing parked or released is lost to a restart.
 */
public final class MissingMetadata
    extends EventSourcedBehaviorWithEnforcedReplies<MissingMetadata.Command, MissingMetadata.Event, MissingMetadata.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "MissingMetadata");
  private static final Duration TICK = Duration.ofMillis(100);
  private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

  // ---- protocol ---------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  /**
   * An item parked on this tool (idempotent: items re-register after a restart).
   *
   * @param parkedAt when the item parked: tells one parking of an item from its next
   */
  public record Park(String itemId, int priority, Instant parkedAt) implements Command {}

  /** The item left PARKED some other way (cancelled, expired). */
  public record Forget(String itemId) implements Command {}

  /** The node's probe sees the tool up: start releasing. */
  public record ToolUp() implements Command {}

  /** Release everything now, whatever the tool's state (an operator's decision). */
  public record ReleaseAll(ActorRef<ReleaseStarted> replyTo) implements Command {}

  public record GetParked(int limit, ActorRef<ParkedItems> replyTo) implements Command {}

  public record Tick() implements Command {}

  public record ReleaseConfirmed(String itemId, Instant parkedAt, boolean ok) implements Command {}

  public record Stop() implements Command {}

  public record ReleaseStarted(int items) implements CborSerializable {}

  /** @param items the first {@code limit} parked items, in release order */
  public record ParkedItems(int count, List<String> items) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record ItemParked(String itemId, int priority, Instant parkedAt, Instant at) implements Event {}

  /**
   * @param parkedAt the parking that ended; null for whichever is current
   * @param released true when released to run again, false when the item left by itself
   */
  public record ItemLeft(String itemId, Instant parkedAt, boolean released, Instant at) implements Event {}

  /** A parked item, its place in the release order, and which parking of the item it is. */
  public record Slot(int priority, long order, Instant parkedAt) implements CborSerializable {}

  /** @param next the order the next parked item gets (older first within a priority) */
  public record State(Map<String, Slot> parked, long next) implements CborSerializable {
    static final State EMPTY = new State(Map.of(), 0);

    State apply(Event e) {
      Map<String, Slot> p = new HashMap<>(parked);
      // One copy per event, wrapped rather than copied again: p is never shared.
      if (e instanceof ItemParked ip) {
        p.put(ip.itemId(), new Slot(ip.priority(), next, ip.parkedAt()));
        return new State(Collections.unmodifiableMap(p), next + 1);
      }
      ItemLeft left = (ItemLeft) e;
      Slot slot = p.get(left.itemId());
      if (slot != null && (left.parkedAt() == null || left.parkedAt().equals(slot.parkedAt()))) {
        p.remove(left.itemId());
      }
      return new State(Collections.unmodifiableMap(p), next);
    }

    /** @param only when not null, the items to consider */
    List<String> inReleaseOrder(int limit, Set<String> skip, Set<String> only) {
      if (limit <= 0) {
        return List.of();
      }
      return parked.entrySet().stream()
          .filter(en -> !skip.contains(en.getKey()) && (only == null || only.contains(en.getKey())))
          .sorted(Comparator.<Map.Entry<String, Slot>>comparingInt(en -> -en.getValue().priority())
              .thenComparingLong(en -> en.getValue().order()))
          .limit(limit)
          .map(Map.Entry::getKey)
          .toList();
    }
  }

  // ---- wiring -----------------------------------------------------------------------------

  /**
   * @param rates release rate (items/s) per tool
   */
  public record Runtime(Map<String, Integer> rates, ToolHealth health, Clock clock) {}

  public static void init(ActorSystem<?> system, Runtime runtime) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), runtime)).withStopMessage(new Stop()));
  }

  public static Behavior<Command> create(String tool, Runtime runtime) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new MissingMetadata(tool, ctx, timers, runtime)));
  }

  private final String tool;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Runtime rt;
  private final ClusterSharding sharding;
  /** Not persisted: releasing now, because the tool is up or an operator said so. */
  private boolean releasing;
  /** Not persisted: what an operator asked to release while the tool is not up, each once. */
  private final Set<String> byOperator = new HashSet<>();
  private final Set<String> inFlight = new HashSet<>();

  private MissingMetadata(String tool, ActorContext<Command> ctx, TimerScheduler<Command> timers, Runtime rt) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), tool));
    this.tool = tool;
    this.ctx = ctx;
    this.timers = timers;
    this.rt = rt;
    this.sharding = ClusterSharding.get(ctx.getSystem());
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  /** The state is the whole parked set: snapshot it so recovery stays short. */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(500, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          if (rt.health().isUp(tool)) {
            startReleasing();
          }
        })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Park.class, this::onPark)
        .onCommand(Forget.class, (s, c) -> s.parked().containsKey(c.itemId())
            ? Effect().persist(new ItemLeft(c.itemId(), null, false, rt.clock().instant())).thenNoReply()
            : Effect().noReply())
        .onCommand(ToolUp.class, (s, c) -> {
          startReleasing();
          return Effect().noReply();
        })
        .onCommand(ReleaseAll.class, (s, c) -> {
          byOperator.addAll(s.parked().keySet());
          startReleasing();
          return Effect().reply(c.replyTo(), new ReleaseStarted(s.parked().size()));
        })
        .onCommand(GetParked.class, (s, c) ->
            Effect().reply(c.replyTo(), new ParkedItems(s.parked().size(), s.inReleaseOrder(c.limit(), Set.of(), null))))
        .onCommand(Tick.class, this::onTick)
        .onCommand(ReleaseConfirmed.class, this::onConfirmed)
        .onCommand(Stop.class, (s, c) -> Effect().stop().thenNoReply())
        .build();
  }

  /**
   * An item may park just as its tool comes back: it saw the tool down, and its Park arrives after
   * the ToolUp found nothing to release. So a Park for a tool that is up starts releasing too.
   */
  private ReplyEffect<Event, State> onPark(State s, Park c) {
    Slot known = s.parked().get(c.itemId());
    if (known != null && known.parkedAt().equals(c.parkedAt())) {
      return Effect().noReply();
    }
    return Effect()
        .persist(new ItemParked(c.itemId(), c.priority(), c.parkedAt(), rt.clock().instant()))
        .thenRun(ns -> {
          if (rt.health().isUp(tool)) {
            startReleasing();
          }
        })
        .thenNoReply();
  }

  private void startReleasing() {
    if (!releasing) {
      releasing = true;
      timers.startTimerWithFixedDelay("release", new Tick(), Duration.ZERO, TICK);
    }
  }

  private void stopReleasing() {
    releasing = false;
    byOperator.clear();
    timers.cancel("release");
  }

  /** Each tick releases a tenth of the per-second rate, so the rate holds within a second. */
  private ReplyEffect<Event, State> onTick(State s, Tick t) {
    // While the tool is not up, only what an operator asked for goes, each item once.
    Set<String> only = rt.health().isUp(tool) ? null : byOperator;
    byOperator.retainAll(s.parked().keySet());
    boolean nothingLeft = only == null ? s.parked().isEmpty() : only.isEmpty();
    if (nothingLeft && inFlight.isEmpty()) {
      stopReleasing();
      return Effect().noReply();
    }
    int rate = Optional.ofNullable(rt.rates().get(tool)).orElse(50);
    int perTick = Math.max(1, (int) Math.ceil(rate * TICK.toMillis() / 1000.0));
    // No more than a second's worth unconfirmed at once.
    int budget = inFlight.size() >= rate ? 0 : perTick;
    for (String id : s.inReleaseOrder(budget, inFlight, only)) {
      inFlight.add(id);
      byOperator.remove(id);
      Instant parkedAt = s.parked().get(id).parkedAt();
      ctx.pipeToSelf(
          sharding.entityRefFor(ItemEntity.ENTITY_TYPE_KEY, id).<Done>ask(ItemEntity.Release::new, RELEASE_TIMEOUT),
          (done, error) -> new ReleaseConfirmed(id, parkedAt, error == null));
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onConfirmed(State s, ReleaseConfirmed c) {
    inFlight.remove(c.itemId());
    if (!c.ok() || !s.parked().containsKey(c.itemId())) {
      // Not confirmed: it stays parked and is asked again on a later tick.
      return Effect().noReply();
    }
    // Only the parking that was released ends; a new one of the same item (it parked again) stays.
    return Effect().persist(new ItemLeft(c.itemId(), c.parkedAt(), true, rt.clock().instant())).thenNoReply();
  }
}
