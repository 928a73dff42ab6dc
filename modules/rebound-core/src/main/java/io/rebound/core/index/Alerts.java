package io.rebound.core.index;

import io.rebound.core.config.QueueSettings;
import io.rebound.core.item.ItemStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * What needs a person's attention, worked out from the index: stuck items (RUNNING past their
 * attempt timeout, WAITING well past due) and alerts per queue (failure rate, exhausted attempts,
 * growing depth, work that no node picks up). Depth growth needs history, so the node samples
 * each queue's open depth at an interval ({@link #sample}).
 */
public final class Alerts {
  static final int STUCK_LIMIT = 100;

  private final ItemIndex index;
  private final Map<String, QueueSettings> queues;
  private final IndexSettings.AlertSettings settings;
  private final Clock clock;
  private final ProjectionHealth projections;
  /** Open depth per queue, oldest sample first; guarded by itself. */
  private final Deque<Map<String, Long>> samples = new ArrayDeque<>();

  /** The read side's lag at the last measurement: the waker and parked releases follow it. */
  private final java.util.function.Supplier<java.time.Duration> lag;

  public Alerts(ItemIndex index, Map<String, QueueSettings> queues, IndexSettings.AlertSettings settings, Clock clock) {
    this(index, queues, settings, clock, new ProjectionHealth(), () -> java.time.Duration.ZERO);
  }

  /**
   * @param projections this node's index projections: a slice that keeps failing is an alert
   * @param lag the read side's lag at its last measurement: past index-lag-after it is an alert
   */
  public Alerts(ItemIndex index, Map<String, QueueSettings> queues, IndexSettings.AlertSettings settings, Clock clock,
      ProjectionHealth projections, java.util.function.Supplier<java.time.Duration> lag) {
    this.projections = projections;
    this.index = index;
    this.queues = queues;
    this.settings = settings;
    this.clock = clock;
    this.lag = lag;
  }

  /**
   * One alert: {@code type} is failure-rate, attempts-exhausted, depth-growing or no-progress (of
   * a queue), or, of the node ({@code queue} is null), index-stalled (a slice of the index
   * projection keeps failing), index-quarantine (events it could not store) or index-lag ({@code count} the lag in seconds).
   */
  public record Alert(String type, String queue, String message, long count) {}

  /** An item that should have moved by now, and why it is listed. */
  public record Stuck(ItemIndex.Row item, String reason) {}

  public record Report(List<Alert> alerts, List<Stuck> stuck) {}

  /** The index slices on this node whose projection keeps failing: the read side stopped there. */
  List<Alert> indexStalled() {
    return projections.failing().stream()
        .map(f -> new Alert("index-stalled", null, "the index projection of slice " + f.slice() + " failed " + f.failures()
            + " times in a row since " + f.since() + "; the index misses that slice's changes: " + f.lastError(), f.failures()))
        .toList();
  }

  /** Events in quarantine: the index rows of their items missed those changes until an operator looks. */
  static List<Alert> quarantine(IndexQuarantine.Summary q) {
    return q.count() == 0 ? List.of() : List.of(new Alert("index-quarantine", null, q.count()
        + " events the index could not store are in rebound_index_quarantine (latest at " + q.latest() + ": " + q.lastError()
        + "); their items' rows missed those changes (the items themselves are fine). See OPERATIONS.md, then delete the rows",
        q.count()));
  }

  /** Records each queue's open depth (every status but the terminal ones). */
  public void sample(Map<String, Map<ItemStatus, Long>> depth) {
    Map<String, Long> open = depth.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().entrySet().stream()
        .filter(s -> !s.getKey().isTerminal()).mapToLong(Map.Entry::getValue).sum()));
    synchronized (samples) {
      samples.addLast(open);
      while (samples.size() > settings.depthGrowingSamples()) {
        samples.removeFirst();
      }
    }
  }

  public CompletionStage<Report> report() {
    Instant now = clock.instant();
    List<CompletableFuture<List<Stuck>>> stuck = new ArrayList<>();
    List<CompletableFuture<List<Alert>>> alerts = new ArrayList<>();
    for (QueueSettings q : queues.values()) {
      stuck.add(stuck(q, now).toCompletableFuture());
      alerts.add(alerts(q.name(), now).toCompletableFuture());
    }
    java.time.Duration behind = lag.get();
    List<Alert> nodeAlerts = behind.compareTo(settings.indexLagAfter()) > 0
        ? List.of(new Alert("index-lag", null, "the read side is " + behind.toSeconds() + "s behind the journal: lists and counts"
            + " are stale, and items due later, or parked on a tool that is back, wake that much late (never never)", behind.toSeconds()))
        : List.of();
    CompletableFuture<List<Alert>> quarantine = index.quarantine().thenApply(Alerts::quarantine).toCompletableFuture();
    return CompletableFuture.allOf(stuck.toArray(CompletableFuture[]::new))
        .thenCombine(CompletableFuture.allOf(alerts.toArray(CompletableFuture[]::new)), (a, b) -> a)
        .thenCombine(quarantine, (a, q) -> new Report(
            java.util.stream.Stream.of(indexStalled().stream(), q.stream(), nodeAlerts.stream(),
                    alerts.stream().flatMap(f -> f.join().stream()))
                .flatMap(x -> x).toList(),
            stuck.stream().flatMap(f -> f.join().stream()).toList()));
  }

  private CompletionStage<List<Stuck>> stuck(QueueSettings q, Instant now) {
    return index.olderThan(q.name(), ItemStatus.RUNNING, "updated_at", now.minus(q.attemptTimeout()), STUCK_LIMIT)
        .thenCombine(
            index.olderThan(q.name(), ItemStatus.WAITING, "next_attempt_at", now.minus(settings.stuckWaitingAfter()), STUCK_LIMIT),
            (running, waiting) -> {
              List<Stuck> out = new ArrayList<>();
              running.forEach(r -> out.add(new Stuck(r, "RUNNING longer than the attempt timeout (" + q.attemptTimeout()
                  + "): its node may be gone, or its handler keeps sending heartbeats")));
              waiting.forEach(r -> out.add(new Stuck(r, "WAITING past its due time by more than " + settings.stuckWaitingAfter())));
              return out;
            });
  }

  private CompletionStage<List<Alert>> alerts(String queue, Instant now) {
    CompletionStage<Map<ItemStatus, Map<String, Long>>> window = index.changedSince(queue, now.minus(settings.window()));
    CompletionStage<Map<ItemStatus, Map<String, Long>>> recent = index.changedSince(queue, now.minus(settings.stallAfter()));
    CompletionStage<Long> due = index.dueSince(queue, now.minus(settings.stallAfter()));
    return window.thenCompose(w -> recent.thenCombine(due, (r, d) -> {
      List<Alert> out = new ArrayList<>();
      failureRate(queue, w, out);
      exhausted(queue, w, out);
      depthGrowing(queue, out);
      if (d > 0 && r.isEmpty()) {
        out.add(new Alert("no-progress", queue, d + " items are due for more than " + settings.stallAfter()
            + " and no item of the queue moved in that time: is a node processing it, or is it paused?", d));
      }
      return out;
    }));
  }

  /** Failed share of the items that finished an attempt in the window (now WAITING or DEAD_LETTERED vs SUCCEEDED). */
  private void failureRate(String queue, Map<ItemStatus, Map<String, Long>> w, List<Alert> out) {
    long ok = total(w, ItemStatus.SUCCEEDED);
    long failed = total(w, ItemStatus.WAITING) + total(w, ItemStatus.DEAD_LETTERED);
    long all = ok + failed;
    if (all >= settings.minSample() && failed > settings.failureRate() * all) {
      out.add(new Alert("failure-rate", queue, String.format("%d of %d items (%.1f%%) failed their last attempt in the last %s",
          failed, all, 100.0 * failed / all, settings.window()), failed));
    }
  }

  /**
   * Dead letters of the window that ran out of attempts: not permanent failures (never retried),
   * nor items that waited longer than max-park for a tool (they burned no attempts).
   */
  private void exhausted(String queue, Map<ItemStatus, Map<String, Long>> w, List<Alert> out) {
    long n = w.getOrDefault(ItemStatus.DEAD_LETTERED, Map.of()).entrySet().stream()
        .filter(e -> !e.getKey().equals("PERMANENT") && !e.getKey().equals("TOOL_UNAVAILABLE")).mapToLong(Map.Entry::getValue).sum();
    if (n > 0) {
      out.add(new Alert("attempts-exhausted", queue, n + " items ran out of attempts in the last " + settings.window(), n));
    }
  }

  private void depthGrowing(String queue, List<Alert> out) {
    List<Long> depths;
    synchronized (samples) {
      if (samples.size() < settings.depthGrowingSamples()) {
        return;
      }
      depths = samples.stream().map(s -> s.getOrDefault(queue, 0L)).toList();
    }
    for (int i = 1; i < depths.size(); i++) {
      if (depths.get(i) <= depths.get(i - 1)) {
        return;
      }
    }
    out.add(new Alert("depth-growing", queue, "open depth grew in each of the last " + depths.size() + " samples, from "
        + depths.get(0) + " to " + depths.get(depths.size() - 1), depths.get(depths.size() - 1)));
  }

  private static long total(Map<ItemStatus, Map<String, Long>> counts, ItemStatus status) {
    return counts.getOrDefault(status, Map.of()).values().stream().mapToLong(Long::longValue).sum();
  }
}
