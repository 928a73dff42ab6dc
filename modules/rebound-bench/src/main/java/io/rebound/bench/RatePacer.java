package io.rebound.bench;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces a steady rate: the k-th item is due at start + k / rate seconds. Due times come from the
 * start, not from the previous send, so a late send does not push every later one back (the rate
 * holds on average), and a latency measured from the due time includes any delay the producer
 * suffered because the system under test was slow to accept work (no coordinated omission).
 */
public final class RatePacer {
  private final long startNanos;
  private final double nanosPerItem;

  public RatePacer(long startNanos, double itemsPerSecond) {
    if (!(itemsPerSecond > 0)) {
      throw new IllegalArgumentException("rate must be > 0, was " + itemsPerSecond);
    }
    this.startNanos = startNanos;
    this.nanosPerItem = 1e9 / itemsPerSecond;
  }

  /** When item k (from 0) is due, on the System.nanoTime() clock. */
  public long dueNanos(long k) {
    return startNanos + Math.round(k * nanosPerItem);
  }

  /** How many items a run of this many nanoseconds sends: those due before its end. */
  public long itemsWithin(long durationNanos) {
    return (long) Math.ceil(durationNanos / nanosPerItem);
  }

  /** Waits until item k is due (returns at once when it already is) and returns its due time. */
  public long awaitTurn(long k) {
    long due = dueNanos(k);
    long wait;
    while ((wait = due - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
    }
    return due;
  }
}
