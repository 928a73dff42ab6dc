package io.rebound.core.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The node's retention job ({@code rebound.retention}); the periods themselves are per queue
 * ({@link QueueSettings#retention()}).
 *
 * @param enabled whether this node runs the job at all
 * @param interval how long from the end of one run to the start of the next
 * @param batchSize the most items one run purges per queue and terminal status, oldest first; a
 *     run that fills a batch is followed at once by another, so a backlog drains in bounded steps
 * @param defaultPeriods the periods for items of queues that are no longer configured ({@code
 *     rebound.queue-defaults.retention})
 */
public record RetentionSettings(boolean enabled, Duration interval, int batchSize, RetentionPeriods defaultPeriods) {
  public static final int MAX_BATCH_SIZE = 100_000;
  private static final Duration MAX_INTERVAL = Duration.ofDays(30);

  public RetentionSettings {
    checkInterval(interval);
    checkBatchSize(batchSize);
    Objects.requireNonNull(defaultPeriods, "default retention periods");
  }

  /** More than 0, at most 30 days. */
  static Duration checkInterval(Duration interval) {
    if (interval == null || interval.isZero() || interval.isNegative() || interval.compareTo(MAX_INTERVAL) > 0) {
      throw new IllegalArgumentException("interval must be more than 0 and at most 30 days, was " + interval);
    }
    return interval;
  }

  /** 1 to {@value #MAX_BATCH_SIZE}. */
  static int checkBatchSize(int batchSize) {
    if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException("batch-size must be between 1 and " + MAX_BATCH_SIZE + ", was " + batchSize);
    }
    return batchSize;
  }

  /** The reference.conf values: on, every hour, 500 items per queue and status per run. */
  public static RetentionSettings defaults() {
    return new RetentionSettings(true, Duration.ofHours(1), 500, RetentionPeriods.defaults());
  }
}
