package io.rebound.core.metrics;

import java.time.Instant;
import java.util.List;

/**
 * This node's throughput over the last minutes, for a chart: items that reached a terminal
 * status and failed attempts, per fixed bucket, oldest first.
 *
 * @param start when the oldest bucket starts
 * @param bucketSeconds how long each bucket is
 */
public record Throughput(Instant start, int bucketSeconds, List<Long> completed, List<Long> failed) {
  public static final Throughput EMPTY = new Throughput(Instant.EPOCH, 10, List.of(), List.of());

  public Throughput {
    completed = List.copyOf(completed);
    failed = List.copyOf(failed);
  }
}
