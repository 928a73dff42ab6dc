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
 * @param maxWaitingPerQueue requests one queue may have waiting at a node's dispatcher (resolved
 *     from the heap when configured {@code auto}: {@link #autoWaiting})
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

  /**
   * Heap an item waiting for a permit is taken to hold (its actor, state, mailbox, the
   * dispatcher's entry): {@code jmap -histo:live} during W1's burst showed 149 MB live with 19,740
   * items in memory, about 6 KiB each beyond the idle node; rounded up (docs/BENCHMARKS.md).
   */
  public static final long WAITING_ITEM_BYTES = 8192;
  /** Fewest waiting per queue {@code auto} gives, however small the heap. */
  public static final int AUTO_MIN = 1_000;
  /** Most waiting per queue {@code auto} gives, however large the heap. */
  public static final int AUTO_MAX = 1_000_000;

  private static final String MAX_WAITING = "rebound.backpressure.max-waiting-per-queue";
  private static final String HEAP_SHARE = "rebound.backpressure.waiting-heap-share";

  /**
   * The waiting line {@code max-waiting-per-queue = auto} gives each queue: as many items as the
   * share of the heap holds, split evenly between the queues, within [{@value #AUTO_MIN},
   * {@value #AUTO_MAX}]. A larger line defers fewer items of a burst (each deferred item is
   * started and recovered once more when its turn comes).
   */
  public static int autoWaiting(long maxHeapBytes, double heapShare, int queues) {
    long items = (long) (maxHeapBytes * heapShare) / WAITING_ITEM_BYTES / Math.max(1, queues);
    return (int) Math.max(AUTO_MIN, Math.min(AUTO_MAX, items));
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
        maxWaiting(root),
        read("rebound.backpressure.max-enqueues-in-flight", () -> root.getInt("rebound.backpressure.max-enqueues-in-flight")));
  }

  private static int maxWaiting(Config root) {
    double share = read(HEAP_SHARE, () -> {
      double v = root.getDouble(HEAP_SHARE);
      if (!(v > 0 && v < 1)) {
        throw new IllegalArgumentException("must be more than 0 and less than 1, was " + v);
      }
      return v;
    });
    return read(MAX_WAITING, () -> {
      if ("auto".equals(root.getValue(MAX_WAITING).unwrapped())) {
        int queues = root.hasPath("rebound.queues") ? root.getObject("rebound.queues").size() : 1;
        return autoWaiting(Runtime.getRuntime().maxMemory(), share, queues);
      }
      return root.getInt(MAX_WAITING);
    });
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
