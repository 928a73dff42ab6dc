package io.rebound.core.limit;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import java.time.Duration;

/**
 * How the cluster-wide limits are kept ({@code rebound.limits}).
 *
 * @param reportInterval how often a node reports to a queue's limiter while it holds or wants permits
 * @param nodeTimeout a node not heard from this long is gone: its group slots are given back
 * @param settle a limiter grants nothing this long after it starts, so that every node has reported
 * @param tick how often a limiter refills its buckets and hands out permits while work waits
 * @param metricGroups groups per queue the held-back gauge names; the rest are summed
 */
public record LimitSettings(Duration reportInterval, Duration nodeTimeout, Duration settle, Duration tick, int metricGroups) {

  public LimitSettings {
    positive("report-interval", reportInterval);
    positive("node-timeout", nodeTimeout);
    positive("tick", tick);
    if (metricGroups < 0 || metricGroups > 1000) {
      throw new IllegalArgumentException("metric-groups must be between 0 and 1000, was " + metricGroups);
    }
    if (settle == null || settle.isNegative()) {
      throw new IllegalArgumentException("settle must be 0 or more, was " + settle);
    }
    if (nodeTimeout.compareTo(reportInterval.multipliedBy(2)) < 0) {
      // One lost or late report must not make a live node's slots free.
      throw new IllegalArgumentException("node-timeout must be at least twice report-interval (" + reportInterval + "), was " + nodeTimeout);
    }
  }

  /** Reads {@code rebound.limits} of a resolved config. */
  public static LimitSettings from(Config config) {
    Config c = config.getConfig("rebound.limits");
    return ReboundConfigException.reading("rebound.limits", () -> new LimitSettings(
        c.getDuration("report-interval"), c.getDuration("node-timeout"), c.getDuration("settle"), c.getDuration("tick"),
        c.getInt("metric-groups")));
  }

  private static void positive(String field, Duration d) {
    if (d == null || d.isZero() || d.isNegative() || d.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException(field + " must be more than 0 and at most 10m, was " + d);
    }
  }
}
