package io.rebound.core.metrics;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import java.time.Duration;

/**
 * {@code rebound.metrics.*}.
 *
 * @param depthInterval how often queue depth is read from the read side
 * @param jmx whether meters are also published over JMX (a JmxMeterRegistry)
 * @param queueBeans whether the {@code io.rebound:type=Queue,name=<queue>} MBeans are registered
 * @param recentFailures how many recent attempt failures are kept for the JSON view
 * @param jmxDomain the JMX domain of the JmxMeterRegistry's beans
 */
public record MetricsSettings(
    Duration depthInterval, boolean jmx, boolean queueBeans, int recentFailures, String jmxDomain) {

  public MetricsSettings {
    if (depthInterval.isNegative() || depthInterval.isZero()) {
      throw new ReboundConfigException("rebound.metrics.depth-interval", "must be positive, was " + depthInterval);
    }
    if (recentFailures < 0) {
      throw new ReboundConfigException("rebound.metrics.recent-failures", "must be 0 or more, was " + recentFailures);
    }
  }

  public static MetricsSettings from(Config config) {
    return new MetricsSettings(
        ReboundConfigException.reading("rebound.metrics.depth-interval", () -> config.getDuration("rebound.metrics.depth-interval")),
        ReboundConfigException.reading("rebound.metrics.jmx", () -> config.getBoolean("rebound.metrics.jmx")),
        ReboundConfigException.reading("rebound.metrics.queue-beans", () -> config.getBoolean("rebound.metrics.queue-beans")),
        ReboundConfigException.reading("rebound.metrics.recent-failures", () -> config.getInt("rebound.metrics.recent-failures")),
        ReboundConfigException.reading("rebound.metrics.jmx-domain", () -> config.getString("rebound.metrics.jmx-domain")));
  }
}
