package io.rebound.core.index;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import java.time.Duration;

/**
 * The read side's settings: {@code rebound.index} and {@code rebound.alerts}, validated once at
 * start (errors name the key).
 *
 * @param tagSlices tag slices of the items' events, one projection each (fixed for the life of the data)
 * @param poolSize database connections (and threads) of the index's projections
 * @param queryThreads threads (and more connections) for the API's queries of the index
 * @param groupSize most events written to the index in one transaction
 * @param groupWithin longest a projection waits to fill a group
 * @param redriveRate dead letters a bulk redrive sends back per second
 * @param alerts thresholds of {@code GET /v1/alerts}
 */
public record IndexSettings(int tagSlices, int poolSize, int queryThreads, int groupSize, Duration groupWithin, int redriveRate, AlertSettings alerts) {

  /**
   * @param window how far back the failure rate and exhausted attempts look
   * @param failureRate a queue whose failed share of finished attempts in the window is above this alerts
   * @param minSample finished attempts in the window below which the failure rate is not judged
   * @param stuckWaitingAfter a WAITING item this long past its due time is stuck
   * @param stallAfter due work this old in a queue where nothing moved for this long means no node processes it
   * @param depthSampleInterval how often the open depth of each queue is sampled
   * @param depthGrowingSamples this many samples in a row, each higher than the one before, alert
   * @param indexLagAfter the read side this far behind the journal alerts (index-lag)
   */
  public record AlertSettings(
      Duration window,
      double failureRate,
      int minSample,
      Duration stuckWaitingAfter,
      Duration stallAfter,
      Duration depthSampleInterval,
      int depthGrowingSamples,
      Duration indexLagAfter) {}

  public static IndexSettings from(Config root) {
    int slices = read("rebound.index.tag-slices", () -> between(root.getInt("rebound.index.tag-slices"), 1, 1024));
    int pool = read("rebound.index.pool-size", () -> between(root.getInt("rebound.index.pool-size"), 1, 256));
    int queryThreads = read("rebound.index.query-threads", () -> between(root.getInt("rebound.index.query-threads"), 1, 64));
    int group = read("rebound.index.group-size", () -> between(root.getInt("rebound.index.group-size"), 1, 100_000));
    Duration within = read("rebound.index.group-within", () -> positive(root.getDuration("rebound.index.group-within")));
    int redriveRate = read("rebound.index.redrive-rate", () -> between(root.getInt("rebound.index.redrive-rate"), 1, 100_000));
    AlertSettings alerts = new AlertSettings(
        read("rebound.alerts.window", () -> positive(root.getDuration("rebound.alerts.window"))),
        read("rebound.alerts.failure-rate", () -> fraction(root.getDouble("rebound.alerts.failure-rate"))),
        read("rebound.alerts.min-sample", () -> between(root.getInt("rebound.alerts.min-sample"), 1, 1_000_000)),
        read("rebound.alerts.stuck-waiting-after", () -> positive(root.getDuration("rebound.alerts.stuck-waiting-after"))),
        read("rebound.alerts.stall-after", () -> positive(root.getDuration("rebound.alerts.stall-after"))),
        read("rebound.alerts.depth-sample-interval", () -> positive(root.getDuration("rebound.alerts.depth-sample-interval"))),
        read("rebound.alerts.depth-growing-samples", () -> between(root.getInt("rebound.alerts.depth-growing-samples"), 2, 1000)),
        read("rebound.alerts.index-lag-after", () -> positive(root.getDuration("rebound.alerts.index-lag-after"))));
    return new IndexSettings(slices, pool, queryThreads, group, within, redriveRate, alerts);
  }

  private static <T> T read(String key, java.util.function.Supplier<T> reader) {
    return ReboundConfigException.reading(key, reader);
  }

  private static int between(int v, int min, int max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException("must be between " + min + " and " + max + ", was " + v);
    }
    return v;
  }

  private static Duration positive(Duration d) {
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("must be more than 0, was " + d);
    }
    return d;
  }

  private static double fraction(double v) {
    if (!(v > 0 && v <= 1)) {
      throw new IllegalArgumentException("must be more than 0 and at most 1, was " + v);
    }
    return v;
  }
}
