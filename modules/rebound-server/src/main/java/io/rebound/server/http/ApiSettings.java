package io.rebound.server.http;

import static io.rebound.core.config.ReboundConfigException.reading;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.server.security.HostSettings;
import java.time.Duration;

/**
 * The HTTP API's bounds on input and the names it answers to, from {@code rebound.http} (the
 * server module's reference.conf has every default with a comment).
 *
 * @param maxPayload the largest payload, in bytes of JSON ({@code max-payload})
 * @param maxBatch the most items one batch call may carry ({@code max-batch})
 * @param maxBatchBody the largest batch request body, in bytes ({@code max-batch-body})
 * @param maxItemAttempts the most attempts an item may ask for itself ({@code item-policy.max-attempts})
 * @param minItemInterval the shortest backoff an item may ask for itself ({@code item-policy.min-interval})
 * @param maxScheduleSteps the most steps of an item's own schedule ({@code item-policy.max-schedule})
 * @param hosts the Host names it answers ({@code allowed-hosts})
 */
public record ApiSettings(long maxPayload, int maxBatch, long maxBatchBody, int maxItemAttempts, Duration minItemInterval,
    int maxScheduleSteps, HostSettings hosts) {
  public ApiSettings {
    if (maxPayload < 1) {
      throw new ReboundConfigException("rebound.http.max-payload", "must be positive");
    }
    if (maxBatch < 1) {
      throw new ReboundConfigException("rebound.http.max-batch", "must be positive");
    }
    if (maxBatchBody < 1 || maxBatchBody > Integer.MAX_VALUE) {
      throw new ReboundConfigException("rebound.http.max-batch-body", "must be between 1 byte and 2GiB - 1, was " + maxBatchBody);
    }
    if (maxItemAttempts < 1) {
      throw new ReboundConfigException("rebound.http.item-policy.max-attempts", "must be at least 1, was " + maxItemAttempts);
    }
    if (minItemInterval.isNegative()) {
      throw new ReboundConfigException("rebound.http.item-policy.min-interval", "must not be negative");
    }
    if (maxScheduleSteps < 1) {
      throw new ReboundConfigException("rebound.http.item-policy.max-schedule", "must be at least 1, was " + maxScheduleSteps);
    }
  }

  /** The defaults of reference.conf, with the given payload and batch limits, answering loopback names. */
  public static ApiSettings of(long maxPayload, int maxBatch) {
    ApiSettings d = from(com.typesafe.config.ConfigFactory.defaultReference(), "127.0.0.1");
    return new ApiSettings(maxPayload, maxBatch, d.maxBatchBody, d.maxItemAttempts, d.minItemInterval, d.maxScheduleSteps, d.hosts);
  }

  public ApiSettings withHosts(HostSettings h) {
    return new ApiSettings(maxPayload, maxBatch, maxBatchBody, maxItemAttempts, minItemInterval, maxScheduleSteps, h);
  }

  public ApiSettings withMaxBatchBody(long bytes) {
    return new ApiSettings(maxPayload, maxBatch, bytes, maxItemAttempts, minItemInterval, maxScheduleSteps, hosts);
  }

  /** Reads {@code rebound.http} of a config that has the defaults; {@code bindHost} is {@code rebound.http.host}. */
  public static ApiSettings from(Config c, String bindHost) {
    String p = "rebound.http.";
    return new ApiSettings(
        reading(p + "max-payload", () -> c.getBytes(p + "max-payload")),
        reading(p + "max-batch", () -> c.getInt(p + "max-batch")),
        reading(p + "max-batch-body", () -> c.getBytes(p + "max-batch-body")),
        reading(p + "item-policy.max-attempts", () -> c.getInt(p + "item-policy.max-attempts")),
        reading(p + "item-policy.min-interval", () -> c.getDuration(p + "item-policy.min-interval")),
        reading(p + "item-policy.max-schedule", () -> c.getInt(p + "item-policy.max-schedule")),
        HostSettings.from(c, bindHost));
  }
}
