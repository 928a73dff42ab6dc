package io.rebound.core.dispatch;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.Consumer;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Node-local permit granter. Items ask for a permit when they are due; the dispatcher grants them
 * in priority order (higher first, then older first) while the node-wide and the per-queue
 * concurrency limits allow, holds them while a queue is paused or the node is draining, and takes
 * a permit back when the item releases it or stops.
 */
public final class Dispatcher extends AbstractBehavior<Dispatcher.Command> {

  public sealed interface Command {}

  /**
   * Asks for a permit.
   *
   * @param order tie-breaker within a priority: smaller goes first (the item's enqueue time)
   * @param owner the item actor; watched so that its permit is freed if it stops
   */
  public record Request(String itemId, String queue, int priority, long order, ActorRef<Answer> replyTo, ActorRef<?> owner)
      implements Command {}

  /**
   * Asks for a permit only if one is free right now with nobody of its queue waiting: answered
   * {@link Granted} (the permit is out, as for a {@link Request}) or {@link Busy} (nothing kept).
   * A new item asks this before its first write, so that its first attempt can start in the same
   * write as its enqueue.
   */
  public record TryRequest(Request request) implements Command {}

  /** Gives a permit back (the attempt ended), or withdraws a request not yet granted. */
  public record Release(String itemId) implements Command {}

  public record Pause(String queue) implements Command {}

  public record Resume(String queue) implements Command {}

  /** Stops granting; answers once no permit is out. */
  public record Drain(ActorRef<Drained> replyTo) implements Command {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  private record OwnerStopped(String itemId, ActorRef<?> owner) implements Command {}

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
    final int limit;
    final TreeSet<Request> waiting = new TreeSet<>(ORDER);
    /** Deferred requests, their items out of memory: woken, best first, as the waiting line shortens. */
    final TreeSet<Request> deferred = new TreeSet<>(ORDER);
    /** Deferred items woken and not yet asking again: id to when (nanos), oldest first. */
    final LinkedHashMap<String, Long> waking = new LinkedHashMap<>();
    int running;
    boolean paused;

    Lane(int limit) {
      this.limit = limit;
    }

    boolean canGrant() {
      return !paused && running < limit && !waiting.isEmpty();
    }
  }

  private final int globalLimit;
  private final int maxWaiting;
  private final Consumer<String> wake;
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
    return Behaviors.setup(ctx -> new Dispatcher(ctx, globalLimit, queueLimits, maxWaiting, wake));
  }

  /** As {@link #create(int, Map, int, Consumer)} with no bound on waiting requests. */
  public static Behavior<Command> create(int globalLimit, Map<String, Integer> queueLimits) {
    return create(globalLimit, queueLimits, Integer.MAX_VALUE, id -> {});
  }

  private Dispatcher(ActorContext<Command> ctx, int globalLimit, Map<String, Integer> queueLimits, int maxWaiting,
      Consumer<String> wake) {
    super(ctx);
    this.globalLimit = globalLimit;
    this.maxWaiting = maxWaiting;
    this.wake = wake;
    queueLimits.forEach((q, limit) -> lanes.put(q, new Lane(limit)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Request.class, this::onRequest)
        .onMessage(TryRequest.class, this::onTryRequest)
        .onMessage(Release.class, r -> forget(r.itemId()))
        .onMessage(OwnerStopped.class, this::onOwnerStopped)
        .onMessage(Pause.class, p -> setPaused(p.queue(), true))
        .onMessage(Resume.class, p -> setPaused(p.queue(), false))
        .onMessage(Drain.class, this::onDrain)
        .onMessage(GetStats.class, this::onStats)
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
      Request worst = lane.waiting.pollLast();
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
    boolean free = lane != null && !draining && !lane.paused && lane.waiting.isEmpty() && lane.deferred.isEmpty() && lane.waking.isEmpty()
        && lane.running < lane.limit
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
      lanes.get(running.queue()).running--;
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

  /** Grants while permits are free: each time the best head among the lanes that may run. */
  private void grant() {
    while (!draining && runningById.size() < globalLimit) {
      Lane best = null;
      for (Lane lane : lanes.values()) {
        if (lane.canGrant() && (best == null || ORDER.compare(lane.waiting.first(), best.waiting.first()) < 0)) {
          best = lane;
        }
      }
      if (best == null) {
        break;
      }
      Request r = best.waiting.pollFirst();
      waitingById.remove(r.itemId());
      runningById.put(r.itemId(), r);
      best.running++;
      r.replyTo().tell(new Granted(r.itemId()));
    }
    lanes.values().forEach(this::wakeDeferred);
    answerDrainWaiters();
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
      Request d = lane.deferred.pollFirst();
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
