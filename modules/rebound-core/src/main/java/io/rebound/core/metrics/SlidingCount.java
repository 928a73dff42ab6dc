package io.rebound.core.metrics;

/**
 * Events per second over the last minutes, in one-second buckets. Confined to the actor that owns
 * it (no locks); the bucket of a second is reused once that second is older than the span.
 */
final class SlidingCount {
  /** Five minutes of one-second buckets: the longest window asked for. */
  static final int SPAN_SECONDS = 300;

  private final long[] second = new long[SPAN_SECONDS];
  private final long[] count = new long[SPAN_SECONDS];

  SlidingCount() {
    java.util.Arrays.fill(second, Long.MIN_VALUE);
  }

  void add(long epochSecond) {
    int i = index(epochSecond);
    if (second[i] != epochSecond) {
      second[i] = epochSecond;
      count[i] = 0;
    }
    count[i]++;
  }

  /** Events in the {@code seconds} seconds up to and including {@code nowSecond}. */
  long sum(long nowSecond, int seconds) {
    if (seconds < 1 || seconds > SPAN_SECONDS) {
      throw new IllegalArgumentException("window must be 1.." + SPAN_SECONDS + " seconds, was " + seconds);
    }
    long total = 0;
    for (long s = nowSecond - seconds + 1; s <= nowSecond; s++) {
      int i = index(s);
      if (second[i] == s) {
        total += count[i];
      }
    }
    return total;
  }

  /** Events per second over the window. */
  double rate(long nowSecond, int seconds) {
    return sum(nowSecond, seconds) / (double) seconds;
  }

  private static int index(long epochSecond) {
    return (int) Math.floorMod(epochSecond, (long) SPAN_SECONDS);
  }
}
