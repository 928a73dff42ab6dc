package io.rebound.server.security;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets by caller: each holds up to {@code burst} requests and refills at
 * {@code requestsPerSecond}. A request takes one, or is refused with the time until one is back.
 * Beside them, byte buckets ({@code bytes-per-second}, {@code bytes-burst}): a request body takes
 * its size, so a few huge requests are held back like many small ones.
 */
public final class RateLimiter {
  /** Callers remembered at most; past it, full (idle) buckets are forgotten, which loses nothing. */
  static final int MAX_CALLERS = 10_000;

  private final RateLimitSettings settings;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Map<String, Bucket> byteBuckets = new ConcurrentHashMap<>();

  public RateLimiter(RateLimitSettings settings) {
    this(settings, System::nanoTime);
  }

  RateLimiter(RateLimitSettings settings, LongSupplier nanoTime) {
    this.settings = settings;
    this.nanoTime = nanoTime;
  }

  /** @return zero when the request may go ahead, else how long until it would */
  public Duration acquire(String caller) {
    if (!settings.enabled()) {
      return Duration.ZERO;
    }
    return take(buckets, caller, 1, settings.requestsPerSecond(), settings.burst(), false);
  }

  /**
   * Takes {@code bytes} of a request body (at most a whole burst, so that any body within the
   * size limits can pass once the bucket is full).
   *
   * @return zero when the body may be read, else how long until it could
   */
  public Duration acquireBytes(String caller, long bytes) {
    if (!settings.bytesEnabled() || bytes <= 0) {
      return Duration.ZERO;
    }
    return take(byteBuckets, caller, Math.min(bytes, settings.bytesBurst()), settings.bytesPerSecond(), settings.bytesBurst(), false);
  }

  /**
   * Charges {@code bytes} already read (a body sent without a Content-Length): the bucket may go
   * below zero, which holds the caller's next bodies back.
   */
  public void chargeBytes(String caller, long bytes) {
    if (settings.bytesEnabled() && bytes > 0) {
      take(byteBuckets, caller, bytes, settings.bytesPerSecond(), settings.bytesBurst(), true);
    }
  }

  private Duration take(Map<String, Bucket> map, String caller, double cost, double rate, double burst, boolean force) {
    long now = nanoTime.getAsLong();
    if (map.size() >= MAX_CALLERS && !map.containsKey(caller)) {
      map.values().removeIf(b -> b.isFull(now));
    }
    return map.computeIfAbsent(caller, c -> new Bucket(now, rate, burst)).take(now, cost, force);
  }

  private static final class Bucket {
    private final double rate;
    private final double burst;
    private double available;
    private long at;

    Bucket(long now, double rate, double burst) {
      this.at = now;
      this.rate = rate;
      this.burst = burst;
      this.available = burst;
    }

    synchronized Duration take(long now, double cost, boolean force) {
      refill(now);
      if (available >= cost || force) {
        available -= cost;
        return Duration.ZERO;
      }
      double seconds = (cost - available) / rate;
      return Duration.ofNanos((long) Math.ceil(seconds * 1e9));
    }

    synchronized boolean isFull(long now) {
      refill(now);
      return available >= burst;
    }

    private void refill(long now) {
      available = Math.min(burst, available + (now - at) / 1e9 * rate);
      at = now;
    }
  }
}
