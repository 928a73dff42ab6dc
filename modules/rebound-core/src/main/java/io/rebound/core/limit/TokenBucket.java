package io.rebound.core.limit;

import io.rebound.core.config.RateLimit;

/**
 * A token bucket on a caller's clock (nanoseconds): it starts full ({@code burst} tokens) and
 * refills at {@code perSecond}; each start takes one token. Not thread-safe: one actor owns it.
 */
final class TokenBucket {
  private final RateLimit limit;
  private double tokens;
  private long refilledAt;

  TokenBucket(RateLimit limit, long now) {
    this.limit = limit;
    this.tokens = limit.burst();
    this.refilledAt = now;
  }

  private void refill(long now) {
    if (now > refilledAt) {
      tokens = Math.min(limit.burst(), tokens + (now - refilledAt) * limit.perSecond() / 1e9);
      refilledAt = now;
    }
  }

  /** Whether a whole token is there now. */
  boolean available(long now) {
    refill(now);
    return tokens >= 1;
  }

  /** Takes a token; call only after {@link #available} answered true. */
  void take() {
    tokens -= 1;
  }

  /** Full again: it can be dropped and made anew without changing what it allows. */
  boolean full(long now) {
    refill(now);
    return tokens >= limit.burst();
  }
}
