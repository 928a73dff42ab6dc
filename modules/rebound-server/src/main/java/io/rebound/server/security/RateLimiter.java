package io.rebound.server.security;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets by caller: each holds up to {@code burst} requests and refills at
 * {@code requestsPerSecond}. A request takes one, or is refused with the time until one is back.
 */
public final class RateLimiter {
  /** Callers remembered at most; past it, full (idle) buckets are forgotten, which loses nothing. */
  static final int MAX_CALLERS = 10_000;

  private final RateLimitSettings settings;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

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
    long now = nanoTime.getAsLong();
    if (buckets.size() >= MAX_CALLERS && !buckets.containsKey(caller)) {
      buckets.values().removeIf(b -> b.isFull(now));
    }
    return buckets.computeIfAbsent(caller, c -> new Bucket(now)).take(now);
  }

  private final class Bucket {
    private double available = settings.burst();
    private long at;

    Bucket(long now) {
      this.at = now;
    }

    synchronized Duration take(long now) {
      refill(now);
      if (available >= 1) {
        available -= 1;
        return Duration.ZERO;
      }
      double seconds = (1 - available) / settings.requestsPerSecond();
      return Duration.ofNanos((long) Math.ceil(seconds * 1e9));
    }

    synchronized boolean isFull(long now) {
      refill(now);
      return available >= settings.burst();
    }

    private void refill(long now) {
      available = Math.min(settings.burst(), available + (now - at) / 1e9 * settings.requestsPerSecond());
      at = now;
    }
  }
}
