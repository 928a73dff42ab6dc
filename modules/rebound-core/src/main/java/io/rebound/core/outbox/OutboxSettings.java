package io.rebound.core.outbox;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import java.time.Duration;

/**
 * {@code rebound.outbox}, validated once at start (errors name the key).
 *
 * @param enabled whether this cluster relays the outbox table (one relay per cluster)
 * @param pollInterval how often the relay looks for committed rows when it found none to spare
 * @param batchSize rows read, enqueued together and deleted per pass
 */
public record OutboxSettings(boolean enabled, Duration pollInterval, int batchSize) {

  public OutboxSettings {
    if (pollInterval == null || pollInterval.isZero() || pollInterval.isNegative()) {
      throw new ReboundConfigException("rebound.outbox.poll-interval", "must be more than 0, was " + pollInterval);
    }
    if (batchSize < 1 || batchSize > 10_000) {
      throw new ReboundConfigException("rebound.outbox.batch-size", "must be between 1 and 10000, was " + batchSize);
    }
  }

  public static OutboxSettings from(Config root) {
    return new OutboxSettings(
        ReboundConfigException.reading("rebound.outbox.enabled", () -> root.getBoolean("rebound.outbox.enabled")),
        ReboundConfigException.reading("rebound.outbox.poll-interval", () -> root.getDuration("rebound.outbox.poll-interval")),
        ReboundConfigException.reading("rebound.outbox.batch-size", () -> root.getInt("rebound.outbox.batch-size")));
  }
}
