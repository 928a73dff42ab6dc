package io.rebound.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemTransition;
import io.rebound.core.item.ItemTransition.Cause;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Per node: turns the items' {@link ItemTransition}s into Micrometer meters and keeps the figures
 * the JSON view and the queue MBeans show.
 *
 * <p>Meters (Prometheus names): {@code rebound_items_total{queue,outcome}},
 * {@code rebound_attempt_failures_total{queue,kind}}, {@code rebound_attempt_duration_seconds}
 * (handler latency: from an attempt's start to the transition that ends it),
 * {@code rebound_item_lifetime_seconds} (enqueue to a terminal status),
 * {@code rebound_queue_depth{queue,status}} and {@code rebound_items_per_second{queue,window}}.
 *
 * <p>Everything mutable is confined to the actor. Gauges and the MBeans read {@code published}, an
 * immutable snapshot the actor replaces every second, so they never touch actor state.
 */
public final class Metrics extends AbstractBehavior<Metrics.Command> {

  public sealed interface Command {}

  /** An item changed status (the actor subscribes to these on the event stream). */
  public record Observed(ItemTransition transition) implements Command {}

  public record GetSnapshot(ActorRef<MetricsSnapshot> replyTo) implements Command {}

  private record Tick() implements Command {}

  private record PollDepth() implements Command {}

  private record DepthRead(Map<String, Map<ItemStatus, Long>> depth, Throwable error) implements Command {}

  /** Rates and published figures move in one-second steps, like the rate buckets. */
  static final Duration TICK = Duration.ofSeconds(1);

  /**
   * @param queues the configured queues: their meters exist (at zero) before anything happens
   * @param published where the actor puts its latest snapshot for gauges and MBeans to read
   */
  public static Behavior<Command> create(
      MeterRegistry registry, Collection<String> queues, DepthSource depthSource, MetricsSettings settings, Clock clock,
      AtomicReference<MetricsSnapshot> published) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Metrics(ctx, timers, registry, queues, depthSource, settings, clock, published)));
  }

  private final MeterRegistry registry;
  private final DepthSource depthSource;
  private final MetricsSettings settings;
  private final Clock clock;
  private final AtomicReference<MetricsSnapshot> published;
  private final Map<String, Tally> tallies = new TreeMap<>();
  private final Deque<RecentFailure> recentFailures = new ArrayDeque<>();
  /** The last 15 minutes in 10-second buckets, node-wide: what a throughput chart draws. */
  private final SlidingCount completedSeries = new SlidingCount(10, 90);
  private final SlidingCount failedSeries = new SlidingCount(10, 90);
  private Map<String, Map<ItemStatus, Long>> depth = Map.of();
  private boolean depthPolling;
  private boolean depthFailing;

  private Metrics(
      ActorContext<Command> ctx, TimerScheduler<Command> timers, MeterRegistry registry, Collection<String> queues,
      DepthSource depthSource, MetricsSettings settings, Clock clock, AtomicReference<MetricsSnapshot> published) {
    super(ctx);
    this.registry = registry;
    this.depthSource = depthSource;
    this.settings = settings;
    this.clock = clock;
    this.published = published;
    publish(); // before any gauge exists that reads it
    queues.forEach(this::tally);
    publish();
    ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(ItemTransition.class,
        ctx.messageAdapter(ItemTransition.class, Observed::new)));
    timers.startTimerWithFixedDelay(new Tick(), TICK);
    timers.startTimerWithFixedDelay(new PollDepth(), Duration.ZERO, settings.depthInterval());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Observed.class, o -> observe(o.transition()))
        .onMessage(GetSnapshot.class, g -> {
          g.replyTo().tell(publish());
          return this;
        })
        .onMessage(Tick.class, t -> {
          publish();
          return this;
        })
        .onMessage(PollDepth.class, p -> pollDepth())
        .onMessage(DepthRead.class, this::onDepth)
        .build();
  }

  // ---- transitions ------------------------------------------------------------------------

  private Behavior<Command> observe(ItemTransition t) {
    Tally tally = tally(t.queue());
    if (t.attemptStartedAt() != null) {
      tally.attemptEnded(Duration.between(t.attemptStartedAt(), t.at()));
    }
    Outcome outcome = Outcome.of(t.status(), t.cause() == Cause.ENQUEUED);
    if (outcome != null) {
      tally.count(outcome);
    }
    long nowSecond = clock.instant().getEpochSecond();
    if (attemptFailed(t)) {
      tally.failed(t.lastErrorKind());
      failedSeries.add(nowSecond);
      recentFailures.addFirst(new RecentFailure(t.id(), t.queue(), t.lastErrorKind(), t.lastError(), t.at()));
      while (recentFailures.size() > settings.recentFailures()) {
        recentFailures.removeLast();
      }
    }
    if (t.status().isTerminal()) {
      completedSeries.add(nowSecond);
      tally.completed(nowSecond, t.createdAt() == null ? null : Duration.between(t.createdAt(), t.at()));
    }
    return this;
  }

  /**
   * Whether this transition ends a failed attempt: one that failed (backing off or dead-lettered),
   * or whose handler said a tool was unavailable; not a parking before the attempt, nor a dead
   * letter for parking too long.
   */
  private static boolean attemptFailed(ItemTransition t) {
    return t.lastErrorKind() != null && (t.cause() == Cause.ATTEMPT_FAILED || t.cause() == Cause.ATTEMPT_PARKED);
  }

  // ---- depth ------------------------------------------------------------------------------

  private Behavior<Command> pollDepth() {
    if (depthPolling) {
      return this; // the last read has not answered yet: do not pile reads up on a slow database
    }
    depthPolling = true;
    CompletionStage<Map<String, Map<ItemStatus, Long>>> read;
    try {
      read = depthSource.depthByQueue();
    } catch (RuntimeException e) {
      read = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    getContext().pipeToSelf(read, DepthRead::new);
    return this;
  }

  private Behavior<Command> onDepth(DepthRead r) {
    depthPolling = false;
    if (r.error() != null) {
      // Once per run of failures: the source is polled every few seconds.
      if (!depthFailing) {
        getContext().getLog().warn("Cannot read queue depth from the read side: {}", r.error().toString());
      }
      depthFailing = true;
      return this;
    }
    depthFailing = false;
    Map<String, Map<ItemStatus, Long>> copy = new HashMap<>();
    r.depth().forEach((q, byStatus) -> {
      copy.put(q, Map.copyOf(byStatus));
      tally(q);
    });
    depth = Map.copyOf(copy);
    publish();
    return this;
  }

  // ---- figures ----------------------------------------------------------------------------

  private MetricsSnapshot publish() {
    long now = clock.instant().getEpochSecond();
    Map<String, QueueFigures> queues = new LinkedHashMap<>();
    tallies.forEach((name, t) -> queues.put(name, t.figures(now, depth.getOrDefault(name, Map.of()))));
    Throughput throughput = new Throughput(Instant.ofEpochSecond(completedSeries.seriesStart(now)), completedSeries.bucketSeconds(),
        Arrays.stream(completedSeries.series(now)).boxed().toList(), Arrays.stream(failedSeries.series(now)).boxed().toList());
    MetricsSnapshot s = new MetricsSnapshot(
        clock.instant(), sum(queues.values(), tallies.values()), queues, recentFailures.stream().toList(), throughput);
    published.set(s);
    return s;
  }

  private static QueueFigures sum(Collection<QueueFigures> all, Collection<Tally> tallies) {
    Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
    Map<ErrorKind, Long> errors = new EnumMap<>(ErrorKind.class);
    Map<ItemStatus, Long> depth = new EnumMap<>(ItemStatus.class);
    double rate1 = 0;
    double rate5 = 0;
    for (QueueFigures f : all) {
      f.outcomes().forEach((k, v) -> outcomes.merge(k, v, Long::sum));
      f.errorsByKind().forEach((k, v) -> errors.merge(k, v, Long::sum));
      f.depth().forEach((k, v) -> depth.merge(k, v, Long::sum));
      rate1 += f.itemsPerSecond1m();
      rate5 += f.itemsPerSecond5m();
    }
    long attempts = tallies.stream().mapToLong(t -> t.attempts).sum();
    long nanos = tallies.stream().mapToLong(t -> t.attemptNanos).sum();
    return new QueueFigures(outcomes, errors, depth, rate1, rate5, attempts, averageMillis(nanos, attempts));
  }

  private static double averageMillis(long nanos, long count) {
    return count == 0 ? 0 : nanos / 1e6 / count;
  }

  private Tally tally(String queue) {
    return tallies.computeIfAbsent(queue, Tally::new);
  }

  /** One queue's counts and meters. */
  private final class Tally {
    final String queue;
    final Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
    final Map<ErrorKind, Long> errors = new EnumMap<>(ErrorKind.class);
    final Map<Outcome, Counter> outcomeCounters = new EnumMap<>(Outcome.class);
    final Map<ErrorKind, Counter> failureCounters = new EnumMap<>(ErrorKind.class);
    final SlidingCount completed = new SlidingCount();
    final Timer attemptTimer;
    final Timer lifetimeTimer;
    long attempts;
    long attemptNanos;

    Tally(String queue) {
      this.queue = queue;
      for (Outcome o : Outcome.values()) {
        outcomeCounters.put(o, Counter.builder("rebound.items")
            .description("Items that reached an outcome on this node")
            .tags("queue", queue, "outcome", o.tag())
            .register(registry));
      }
      for (ErrorKind k : ErrorKind.values()) {
        failureCounters.put(k, Counter.builder("rebound.attempt.failures")
            .description("Failed attempts on this node, by error kind")
            .tags("queue", queue, "kind", k.name().toLowerCase(java.util.Locale.ROOT))
            .register(registry));
      }
      attemptTimer = Timer.builder("rebound.attempt.duration")
          .description("Handler latency: from an attempt's start to its outcome")
          .tag("queue", queue)
          .publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1))
          .maximumExpectedValue(Duration.ofHours(1))
          .register(registry);
      lifetimeTimer = Timer.builder("rebound.item.lifetime")
          .description("From enqueue to a terminal status (succeeded, dead-lettered, cancelled)")
          .tag("queue", queue)
          .publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1))
          .maximumExpectedValue(Duration.ofDays(7))
          .register(registry);
      for (ItemStatus s : ItemStatus.values()) {
        Gauge.builder("rebound.queue.depth", published, p -> p.get().queue(queue).depth(s))
            .description("Items in the queue by status, as the read side counts them (cluster-wide)")
            .tags("queue", queue, "status", s.name().toLowerCase(java.util.Locale.ROOT))
            .strongReference(true)
            .register(registry);
      }
      Gauge.builder("rebound.items.per.second", published, p -> p.get().queue(queue).itemsPerSecond1m())
          .description("Items that reached a terminal status on this node, per second over the window")
          .tags("queue", queue, "window", "1m")
          .strongReference(true)
          .register(registry);
      Gauge.builder("rebound.items.per.second", published, p -> p.get().queue(queue).itemsPerSecond5m())
          .description("Items that reached a terminal status on this node, per second over the window")
          .tags("queue", queue, "window", "5m")
          .strongReference(true)
          .register(registry);
    }

    void count(Outcome o) {
      outcomes.merge(o, 1L, Long::sum);
      outcomeCounters.get(o).increment();
    }

    void failed(ErrorKind kind) {
      errors.merge(kind, 1L, Long::sum);
      failureCounters.get(kind).increment();
    }

    void attemptEnded(Duration d) {
      if (d.isNegative()) {
        return; // clocks of two nodes after a handoff; not a duration
      }
      attempts++;
      attemptNanos += d.toNanos();
      attemptTimer.record(d);
    }

    void completed(long nowSecond, Duration lifetime) {
      completed.add(nowSecond);
      if (lifetime != null && !lifetime.isNegative()) {
        lifetimeTimer.record(lifetime);
      }
    }

    QueueFigures figures(long nowSecond, Map<ItemStatus, Long> depth) {
      return new QueueFigures(outcomes, errors, depth,
          completed.rate(nowSecond, 60), completed.rate(nowSecond, SlidingCount.SPAN_SECONDS),
          attempts, averageMillis(attemptNanos, attempts));
    }
  }
}
