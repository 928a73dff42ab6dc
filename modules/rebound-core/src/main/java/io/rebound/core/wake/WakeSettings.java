package io.rebound.core.wake;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * How items leave memory and come back: {@code rebound.wake} and {@code rebound.backpressure},
 * validated once at start (errors name the key).
 *
 * @param horizon an item whose next step is further away than this leaves memory; the waker
 *     wakes items due within it
 * @param pollInterval how often the waker starts again from the best due item of each queue
 * @param batch woken items of one queue that may wait for a permit at once (cluster-wide)
 * @param fetchSize due rows read from the index per query
 * @param orphanSweepInterval how often RUNNING rows older than this are checked for lost attempts
 * @param settle a due row unchanged this long is woken even if its item should be in memory
 * @param maxWaitingPerQueue requests one queue may have waiting at a node's dispatcher
 * @param maxEnqueuesInFlight enqueues a node accepts before refusing more (overloaded)
 */
public record WakeSettings(
    Duration horizon,
    Duration pollInterval,
    int batch,
    int fetchSize,
    Duration orphanSweepInterval,
    Duration settle,
    int maxWaitingPerQueue,
    int maxEnqueuesInFlight) {

  public WakeSettings {
    positive("rebound.wake.horizon", horizon);
    positive("rebound.wake.poll-interval", pollInterval);
    positive("rebound.wake.orphan-sweep-interval", orphanSweepInterval);
    positive("rebound.wake.settle", settle);
    between("rebound.wake.batch", batch, 1, 100_000);
    between("rebound.wake.fetch-size", fetchSize, 1, 100_000);
    between("rebound.backpressure.max-waiting-per-queue", maxWaitingPerQueue, 1, 10_000_000);
    between("rebound.backpressure.max-enqueues-in-flight", maxEnqueuesInFlight, 1, 10_000_000);
  }

  /** When the waker takes a row up: what the index stores in {@code wake_after}. */
  public WakeRule rule() {
    return new WakeRule(horizon, settle);
  }

  public static WakeSettings from(Config root) {
    return new WakeSettings(
        read("rebound.wake.horizon", () -> root.getDuration("rebound.wake.horizon")),
        read("rebound.wake.poll-interval", () -> root.getDuration("rebound.wake.poll-interval")),
        read("rebound.wake.batch", () -> root.getInt("rebound.wake.batch")),
        read("rebound.wake.fetch-size", () -> root.getInt("rebound.wake.fetch-size")),
        read("rebound.wake.orphan-sweep-interval", () -> root.getDuration("rebound.wake.orphan-sweep-interval")),
        read("rebound.wake.settle", () -> root.getDuration("rebound.wake.settle")),
        read("rebound.backpressure.max-waiting-per-queue", () -> root.getInt("rebound.backpressure.max-waiting-per-queue")),
        read("rebound.backpressure.max-enqueues-in-flight", () -> root.getInt("rebound.backpressure.max-enqueues-in-flight")));
  }

  private static <T> T read(String key, Supplier<T> reader) {
    return ReboundConfigException.reading(key, reader);
  }

  private static void positive(String key, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new ReboundConfigException(key, "must be more than 0, was " + d);
    }
  }

  private static void between(String key, int v, int min, int max) {
    if (v < min || v > max) {
      throw new ReboundConfigException(key, "must be between " + min + " and " + max + ", was " + v);
    }
  }
}
