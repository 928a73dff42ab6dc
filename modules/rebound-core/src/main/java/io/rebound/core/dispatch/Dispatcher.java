package io.rebound.core.dispatch;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import io.rebound.core.limit.HeldBack;
import io.rebound.core.limit.LimitBook;
import io.rebound.core.limit.LimitSettings;
import io.rebound.core.limit.QueueLimiter;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Node-local permit granter. Items ask for a permit when they are due; the dispatcher grants them
 * in priority order (higher first, then older first) while the node-wide and the per-queue
 * concurrency limits allow, holds them while a queue is paused or the node is draining, and takes
 * a permit back when the item releases it or stops.
 *
 * <p>Within a queue, permits go round-robin across the groups (tenants) whose best waiting work
 * has the highest priority ({@link FairLine}). A queue with a cluster-wide limit (rate-limit,
 * group-concurrency, group-rate-limit) also needs a permit of its {@link QueueLimiter} for each
 * start: the dispatcher reports what it wants and holds per group to the limiter (when it changes,
 * at most once a tick, and every report interval) and starts items as the leases it gets allow.
 */
public final class Dispatcher extends AbstractBehavior<Dispatcher.Command> {

  public sealed interface Command {}

  /**
   * Asks for a permit.
   *
   * @param order tie-breaker within a priority: smaller goes first (the item's enqueue time)
   * @param owner the item actor; watched so that its permit is freed if it stops
   */
  public record Request(String itemId, String queue, int priority, long order, ActorRef<Answer> replyTo, ActorRef<?> owner,
      String group)
      implements Command {
    /** A request of an item without a group. */
    public Request(String itemId, String queue, int priority, long order, ActorRef<Answer> replyTo, ActorRef<?> owner) {
      this(itemId, queue, priority, order, replyTo, owner, null);
    }
  }

  /**
   * The queues with a cluster-wide limit and how to reach their limiters.
   *
   * @param queues the limited queues
   * @param limiter sends a command to the limiter of a queue (through sharding)
   * @param heldBack where the items held back by a limit are published for the metrics
   */
  public record Limits(Set<String> queues, BiConsumer<String, QueueLimiter.Command> limiter, LimitSettings settings, HeldBack heldBack) {
    public static final Limits NONE = new Limits(Set.of(), (q, c) -> {}, null, new HeldBack());
  }

  /**
   * Asks for a permit only if one is free right now with nobody of its queue waiting: answered
   * {@link Granted} (the permit is out, as for a {@link Request}) or {@link Busy} (nothing kept).
   * A new item asks this before its first write, so that its first attempt can start in the same
   * write as its enqueue.
   */
  public record TryRequest(Request request) implements Command {}

  /** Gives a permit back (the attempt ended), or withdraws a request not yet granted. */
  public record ReturnPermit(String itemId) implements Command {}

  public record Pause(String queue) implements Command {}

  public record Resume(String queue) implements Command {}

  /** Stops granting; answers once no permit is out. */
  public record Drain(ActorRef<Drained> replyTo) implements Command {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  private record OwnerStopped(String itemId, ActorRef<?> owner) implements Command {}

  private record Leased(QueueLimiter.Lease lease) implements Command {}

  /** Time to tell a queue's limiter what changed. */
  private record SendReport(String queue) implements Command {}

  /** Every report interval: drop stale permits, report to every limiter, publish what is held back. */
  private record Heartbeat() implements Command {}

  /** What a request gets: a permit, or (its queue's waiting line is full) a deferral. */
  public sealed interface Answer {}

  /** The permit: the item may start its attempt now. */
  public record Granted(String itemId) implements Answer {}

  /**
   * The queue already has {@code maxWaiting} requests waiting on this node and this one is not
   * better than any of them: the item should leave memory; the waker brings it back from the
   * index when permits are free. A better request may also push the worst waiting one out.
   */
  public record Deferred(String itemId) implements Answer {}

  /** The answer to a {@link TryRequest} that found no permit free, or others waiting before it. */
  public record Busy(String itemId) implements Answer {}

  public record Drained() {}

  public record QueueStats(int running, int waiting, int limit, boolean paused) {}

  public record Stats(int running, int waiting, boolean draining, Map<String, QueueStats> queues) {}

  /** Deferred requests kept per queue; beyond, the waker finds their items in the index. */
  static final int MAX_DEFERRED = 100_000;
  private static final long WAKING_FOR_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

  private static final Comparator<Request> ORDER =
      Comparator.comparingInt(Request::priority).reversed()
          .thenComparingLong(Request::order)
          .thenComparing(Request::itemId);

  private final class Lane {
    final String queue;
    final int limit;
    final FairLine waiting = new FairLine(ORDER);
    /** Deferred requests, their items out of memory: woken, best first, as the waiting line shortens. */
    final FairLine deferred = new FairLine(ORDER);
    /** Permits of the queue's limiter; null when the queue has no cluster-wide limit. */
    final Leases leases;
    /** The last report sent, so that an unchanged one is not sent again before the heartbeat. */
    Map<String, LimitBook.Want> reportedWants = Map.of();
    Map<String, Integer> reportedHeld = Map.of();
    boolean reportScheduled;
    /** Deferred items woken and not yet asking again: id to when (nanos), oldest first. */
    final LinkedHashMap<String, Long> waking = new LinkedHashMap<>();
    int running;
    boolean paused;

    Lane(String queue, int limit, Leases leases) {
      this.queue = queue;
      this.limit = limit;
      this.leases = leases;
    }

    boolean allowed(String group) {
      return leases == null || leases.canStart(group);
    }

    /** The request this lane would start next, or null. */
    Request next() {
      return paused || running >= limit ? null : waiting.next(this::allowed);
    }
  }

  private final int globalLimit;
  private final int maxWaiting;
  private final Consumer<String> wake;
  private final Limits limits;
  private final TimerScheduler<Command> timers;
  private final ActorRef<QueueLimiter.Lease> leaseAdapter;
  private final Map<String, Lane> lanes = new HashMap<>();
  private final Map<String, Request> waitingById = new HashMap<>();
  private final Map<String, Request> runningById = new HashMap<>();
  private final List<ActorRef<Drained>> drainWaiters = new ArrayList<>();
  private boolean draining;

  /**
   * @param globalLimit attempts that may run at once on this node
   * @param queueLimits each queue's own limit; a request for another queue (one removed from the
   *     config) is logged and ignored: its item stays pending until the queue is configured again
   * @param maxWaiting requests one queue may have waiting at once; more are deferred, so that a
   *     backlog waits in the database rather than in memory
   * @param wake starts a deferred item again (through sharding) when its queue's line shortens
   */
  public static Behavior<Command> create(int globalLimit, Map<String, Integer> queueLimits, int maxWaiting, Consumer<String> wake) {
    return create(globalLimit, queueLimits, maxWaiting, wake, Limits.NONE);
  }

  /** As {@link #create(int, Map, int, Consumer)}, with the queues that have cluster-wide limits. */
  public static Behavior<Command> create(int globalLimit, Map<String, Integer> queueLimits, int maxWaiting, Consumer<String> wake,
      Limits limits) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Dispatcher(ctx, timers, globalLimit, queueLimits, maxWaiting, wake, limits)));
  }

  /** As {@link #create(int, Map, int, Consumer)} with no bound on waiting requests. */
  public static Behavior<Command> create(int globalLimit, Map<String, Integer> queueLimits) {
    return create(globalLimit, queueLimits, Integer.MAX_VALUE, id -> {});
  }

  private Dispatcher(ActorContext<Command> ctx, TimerScheduler<Command> timers, int globalLimit, Map<String, Integer> queueLimits,
      int maxWaiting, Consumer<String> wake, Limits limits) {
    super(ctx);
    this.globalLimit = globalLimit;
    this.maxWaiting = maxWaiting;
    this.wake = wake;
    this.limits = limits;
    this.timers = timers;
    this.leaseAdapter = ctx.messageAdapter(QueueLimiter.Lease.class, Leased::new);
    queueLimits.forEach((q, limit) -> lanes.put(q, new Lane(q, limit,
        limits.queues().contains(q) ? new Leases(limits.settings().reportInterval().toNanos()) : null)));
    if (!limits.queues().isEmpty()) {
      timers.startTimerWithFixedDelay(new Heartbeat(), limits.settings().reportInterval());
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Request.class, this::onRequest)
        .onMessage(TryRequest.class, this::onTryRequest)
        .onMessage(ReturnPermit.class, r -> forget(r.itemId()))
        .onMessage(OwnerStopped.class, this::onOwnerStopped)
        .onMessage(Pause.class, p -> setPaused(p.queue(), true))
        .onMessage(Resume.class, p -> setPaused(p.queue(), false))
        .onMessage(Drain.class, this::onDrain)
        .onMessage(GetStats.class, this::onStats)
        .onMessage(Leased.class, this::onLeased)
        .onMessage(SendReport.class, r -> {
          Lane lane = lanes.get(r.queue());
          lane.reportScheduled = false;
          report(lane, false);
          return this;
        })
        .onMessage(Heartbeat.class, h -> onHeartbeat())
        .build();
  }

  private Behavior<Command> onRequest(Request r) {
    Lane lane = lanes.get(r.queue());
    if (lane == null) {
      getContext().getLog().warn("Item {} asked for a permit on unknown queue '{}'; it stays pending", r.itemId(), r.queue());
      return this;
    }
    Request running = runningById.get(r.itemId());
    if (running != null) {
      // The item restarted while its old permit was out: the new incarnation holds it now.
      rewatch(running.owner(), r);
      runningById.put(r.itemId(), r);
      r.replyTo().tell(new Granted(r.itemId()));
      return this;
    }
    lane.waking.remove(r.itemId());
    lane.deferred.remove(r);
    Request old = waitingById.put(r.itemId(), r);
    if (old != null) {
      lanes.get(old.queue()).waiting.remove(old);
      rewatch(old.owner(), r);
    } else {
      getContext().watchWith(r.owner(), new OwnerStopped(r.itemId(), r.owner()));
    }
    lane.waiting.add(r);
    if (lane.waiting.size() > maxWaiting) {
      // The worst waiting request leaves (often the new one): its item passivates and is woken later.
      Request worst = lane.waiting.pollWorst();
      waitingById.remove(worst.itemId());
      getContext().unwatch(worst.owner());
      worst.replyTo().tell(new Deferred(worst.itemId()));
      if (lane.deferred.size() < MAX_DEFERRED) {
        // Kept as an id, not an actor: woken from here when there is room, without the index.
        lane.deferred.add(worst);
      }
    }
    grant();
    return this;
  }

  private Behavior<Command> onTryRequest(TryRequest t) {
    Request r = t.request();
    Lane lane = lanes.get(r.queue());
    // A queue with a cluster-wide limit starts only on its limiter's leases: through a Request.
    boolean free = lane != null && lane.leases == null && !draining && !lane.paused
        && lane.waiting.isEmpty() && lane.deferred.isEmpty() && lane.waking.isEmpty() && lane.running < lane.limit
        && runningById.size() < globalLimit && !runningById.containsKey(r.itemId()) && !waitingById.containsKey(r.itemId());
    if (!free) {
      r.replyTo().tell(new Busy(r.itemId()));
      return this;
    }
    getContext().watchWith(r.owner(), new OwnerStopped(r.itemId(), r.owner()));
    runningById.put(r.itemId(), r);
    lane.running++;
    r.replyTo().tell(new Granted(r.itemId()));
    return this;
  }

  private void rewatch(ActorRef<?> previousOwner, Request r) {
    if (!previousOwner.equals(r.owner())) {
      getContext().unwatch(previousOwner);
      getContext().watchWith(r.owner(), new OwnerStopped(r.itemId(), r.owner()));
    }
  }

  /** Only the current owner's stop frees the permit: a stale notice of an old incarnation is ignored. */
  private Behavior<Command> onOwnerStopped(OwnerStopped s) {
    Request current = waitingById.containsKey(s.itemId()) ? waitingById.get(s.itemId()) : runningById.get(s.itemId());
    return current != null && current.owner().equals(s.owner()) ? forget(s.itemId()) : this;
  }

  private Behavior<Command> forget(String itemId) {
    Request waiting = waitingById.remove(itemId);
    if (waiting != null) {
      lanes.get(waiting.queue()).waiting.remove(waiting);
      getContext().unwatch(waiting.owner());
    }
    Request running = runningById.remove(itemId);
    if (running != null) {
      Lane lane = lanes.get(running.queue());
      lane.running--;
      if (lane.leases != null) {
        lane.leases.ended(FairLine.group(running));
      }
      getContext().unwatch(running.owner());
    }
    grant();
    return this;
  }

  private Behavior<Command> setPaused(String queue, boolean paused) {
    Lane lane = lanes.get(queue);
    if (lane != null) {
      lane.paused = paused;
      grant();
    }
    return this;
  }

  private Behavior<Command> onDrain(Drain d) {
    draining = true;
    drainWaiters.add(d.replyTo());
    answerDrainWaiters();
    return this;
  }

  private Behavior<Command> onStats(GetStats g) {
    Map<String, QueueStats> qs = new HashMap<>();
    lanes.forEach((q, l) -> qs.put(q, new QueueStats(l.running, l.waiting.size(), l.limit, l.paused)));
    g.replyTo().tell(new Stats(runningById.size(), waitingById.size(), draining, Map.copyOf(qs)));
    return this;
  }

  /** Grants while permits are free: each time the best next request among the lanes that may run. */
  private void grant() {
    while (!draining && runningById.size() < globalLimit) {
      Lane best = null;
      Request next = null;
      for (Lane lane : lanes.values()) {
        Request r = lane.next();
        if (r != null && (next == null || ORDER.compare(r, next) < 0)) {
          best = lane;
          next = r;
        }
      }
      if (best == null) {
        break;
      }
      best.waiting.take(next);
      waitingById.remove(next.itemId());
      runningById.put(next.itemId(), next);
      best.running++;
      if (best.leases != null) {
        best.leases.started(FairLine.group(next));
      }
      next.replyTo().tell(new Granted(next.itemId()));
    }
    lanes.values().forEach(this::wakeDeferred);
    lanes.values().forEach(this::reportSoon);
    answerDrainWaiters();
  }

  private Behavior<Command> onLeased(Leased l) {
    Lane lane = lanes.get(l.lease().queue());
    if (lane != null && lane.leases != null) {
      lane.leases.granted(l.lease().epoch(), l.lease().seq(), l.lease().permits(), System.nanoTime());
      grant();
    }
    return this;
  }

  private Behavior<Command> onHeartbeat() {
    long now = System.nanoTime();
    for (Lane lane : lanes.values()) {
      if (lane.leases != null) {
        lane.leases.expire(now);
        report(lane, true);
        limits.heldBack().set(lane.queue, heldBack(lane));
      }
    }
    grant();
    return this;
  }

  /** A limited lane's report goes out within a tick, so that several changes make one message. */
  private void reportSoon(Lane lane) {
    if (lane.leases != null && !lane.reportScheduled) {
      lane.reportScheduled = true;
      timers.startSingleTimer("report-" + lane.queue, new SendReport(lane.queue), limits.settings().tick());
    }
  }

  /** Tells the lane's limiter what it wants and holds: when either changed, or always ({@code heartbeat}). */
  private void report(Lane lane, boolean heartbeat) {
    Map<String, LimitBook.Want> wants = wants(lane);
    Map<String, Integer> held = lane.leases.held();
    boolean changed = !wants.equals(lane.reportedWants) || !held.equals(lane.reportedHeld);
    boolean something = !wants.isEmpty() || !held.isEmpty() || !lane.reportedWants.isEmpty() || !lane.reportedHeld.isEmpty();
    if (changed || (heartbeat && something)) {
      limits.limiter().accept(lane.queue, new QueueLimiter.Report(leaseAdapter, lane.leases.epoch(), lane.leases.ack(), wants, held));
      lane.reportedWants = wants;
      lane.reportedHeld = held;
    }
  }

  /**
   * The permits the lane could use now, per group: its free slots (less the permits it holds
   * unused) shared out one by one across the groups with waiting requests.
   */
  private Map<String, LimitBook.Want> wants(Lane lane) {
    int room = draining || lane.paused ? 0
        : Math.min(lane.limit - lane.running, globalLimit - runningById.size()) - lane.leases.unusedTotal();
    Map<String, Integer> need = new HashMap<>();
    lane.waiting.counts().forEach((g, n) -> {
      int k = n - lane.leases.unused(g);
      if (k > 0) {
        need.put(g, k);
      }
    });
    Map<String, Integer> share = new HashMap<>();
    while (room > 0 && !need.isEmpty()) {
      Iterator<Map.Entry<String, Integer>> it = need.entrySet().iterator();
      while (room > 0 && it.hasNext()) {
        Map.Entry<String, Integer> e = it.next();
        share.merge(e.getKey(), 1, Integer::sum);
        room--;
        if (e.getValue() == 1) {
          it.remove();
        } else {
          e.setValue(e.getValue() - 1);
        }
      }
    }
    Map<String, LimitBook.Want> out = new HashMap<>();
    share.forEach((g, n) -> out.put(g, new LimitBook.Want(n, lane.waiting.bestPriority(g))));
    return out;
  }

  /** Waiting requests per group that a limit holds back: their lane has room, their group no permit. */
  private Map<String, Integer> heldBack(Lane lane) {
    if (lane.paused || draining || lane.running >= lane.limit || runningById.size() >= globalLimit) {
      return Map.of();
    }
    Map<String, Integer> out = new HashMap<>();
    lane.waiting.counts().forEach((g, n) -> {
      if (!lane.leases.canStart(g)) {
        out.put(g, n);
      }
    });
    return out;
  }

  /** Wakes the best deferred items while the lane's waiting line (with those on their way) has room. */
  private void wakeDeferred(Lane lane) {
    if (lane.deferred.isEmpty() && lane.waking.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    // A woken item that never asks again (cancelled meanwhile, say) stops counting after a while.
    Iterator<Map.Entry<String, Long>> it = lane.waking.entrySet().iterator();
    while (it.hasNext() && now - it.next().getValue() > WAKING_FOR_NANOS) {
      it.remove();
    }
    while (!draining && !lane.deferred.isEmpty() && lane.waiting.size() + lane.waking.size() < maxWaiting) {
      Request d = lane.deferred.next(g -> true);
      lane.deferred.take(d);
      lane.waking.put(d.itemId(), now);
      wake.accept(d.itemId());
    }
  }

  private void answerDrainWaiters() {
    if (draining && runningById.isEmpty()) {
      drainWaiters.forEach(w -> w.tell(new Drained()));
      drainWaiters.clear();
    }
  }
}
