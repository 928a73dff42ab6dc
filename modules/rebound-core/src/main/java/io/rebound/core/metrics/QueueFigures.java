package io.rebound.core.metrics;

import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemStatus;
import java.util.Map;

/**
 * A queue's figures (or the node's, summed over its queues) at one moment.
 *
 * @param outcomes items counted per outcome since the node started
 * @param errorsByKind failed attempts per error kind since the node started
 * @param depth items per status, as the read side last answered (cluster-wide, not per node)
 * @param itemsPerSecond1m items that reached a terminal status, per second, over the last minute
 * @param itemsPerSecond5m the same over the last five minutes
 * @param attempts attempts whose duration was measured
 * @param averageProcessingMillis the mean of those durations, 0 when there are none
 */
public record QueueFigures(
    Map<Outcome, Long> outcomes,
    Map<ErrorKind, Long> errorsByKind,
    Map<ItemStatus, Long> depth,
    double itemsPerSecond1m,
    double itemsPerSecond5m,
    long attempts,
    double averageProcessingMillis) {

  public static final QueueFigures EMPTY = new QueueFigures(Map.of(), Map.of(), Map.of(), 0, 0, 0, 0);

  public QueueFigures {
    outcomes = Map.copyOf(outcomes);
    errorsByKind = Map.copyOf(errorsByKind);
    depth = Map.copyOf(depth);
  }

  public long count(Outcome outcome) {
    return outcomes.getOrDefault(outcome, 0L);
  }

  public long depth(ItemStatus status) {
    return depth.getOrDefault(status, 0L);
  }

  /** Items not yet in a terminal status. */
  public long openDepth() {
    return depth.entrySet().stream().filter(e -> !e.getKey().isTerminal()).mapToLong(Map.Entry::getValue).sum();
  }

  /** Failed attempts of every kind. */
  public long attemptFailures() {
    return errorsByKind.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Items completed in the last minute. */
  public double itemsPerMinute() {
    return itemsPerSecond1m * 60;
  }
}
