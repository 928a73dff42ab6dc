package io.rebound.core.metrics;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything the node's {@link Metrics} actor knows at one moment.
 *
 * @param total the sum over all queues
 * @param queues per queue, by name
 * @param recentFailures the latest failed attempts, newest first
 * @param throughput completed items and failed attempts over the last 15 minutes, for charts
 */
public record MetricsSnapshot(
    Instant at, QueueFigures total, Map<String, QueueFigures> queues, List<RecentFailure> recentFailures, Throughput throughput) {

  public MetricsSnapshot {
    queues = Map.copyOf(queues);
    recentFailures = List.copyOf(recentFailures);
  }

  /** A queue's figures; empty ones for a queue nothing was counted for yet. */
  public QueueFigures queue(String name) {
    return queues.getOrDefault(name, QueueFigures.EMPTY);
  }
}
