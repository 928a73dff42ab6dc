package io.rebound.core.metrics;

import java.util.Arrays;

/**
 * Events over the last minutes, in fixed buckets of whole seconds. Confined to the actor that owns
 * it (no locks); a bucket is reused once its time is older than the span.
 */
final class SlidingCount {
  /** Five minutes of one-second buckets: the longest rate window asked for. */
  static final int SPAN_SECONDS = 300;

  private final int bucketSeconds;
  /** The bucket number (epoch second / bucketSeconds) each slot holds. */
  private final long[] bucket;
  private final long[] count;

  /** One-second buckets over {@link #SPAN_SECONDS}, for rates. */
  SlidingCount() {
    this(1, SPAN_SECONDS);
  }

  SlidingCount(int bucketSeconds, int buckets) {
    this.bucketSeconds = bucketSeconds;
    this.bucket = new long[buckets];
    this.count = new long[buckets];
    Arrays.fill(bucket, Long.MIN_VALUE);
  }

  void add(long epochSecond) {
    long b = Math.floorDiv(epochSecond, bucketSeconds);
    int i = index(b);
    if (bucket[i] != b) {
      bucket[i] = b;
      count[i] = 0;
    }
    count[i]++;
  }

  /** Events in the {@code seconds} seconds up to and including {@code nowSecond} (one-second buckets only). */
  long sum(long nowSecond, int seconds) {
    if (bucketSeconds != 1 || seconds < 1 || seconds > bucket.length) {
      throw new IllegalArgumentException("window must be 1.." + bucket.length + " one-second buckets, was " + seconds);
    }
    long total = 0;
    for (long s = nowSecond - seconds + 1; s <= nowSecond; s++) {
      total += at(s);
    }
    return total;
  }

  /** Events per second over the window. */
  double rate(long nowSecond, int seconds) {
    return sum(nowSecond, seconds) / (double) seconds;
  }

  /** Every bucket's count, oldest first, the last one being the bucket of {@code nowSecond}. */
  long[] series(long nowSecond) {
    long last = Math.floorDiv(nowSecond, bucketSeconds);
    long[] out = new long[bucket.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = at(last - out.length + 1 + k);
    }
    return out;
  }

  /** The epoch second the oldest bucket of {@link #series} starts at. */
  long seriesStart(long nowSecond) {
    return (Math.floorDiv(nowSecond, bucketSeconds) - bucket.length + 1) * bucketSeconds;
  }

  int bucketSeconds() {
    return bucketSeconds;
  }

  private long at(long b) {
    int i = index(b);
    return bucket[i] == b ? count[i] : 0;
  }

  private int index(long b) {
    return (int) Math.floorMod(b, (long) bucket.length);
  }
}
