package io.rebound.core.config;

/**
 * A token bucket's shape: {@code perSecond} attempts start per second on average, and up to
 * {@code burst} at once after a quiet spell.
 */
public record RateLimit(double perSecond, int burst) {
  public static final double MAX_PER_SECOND = 100_000;

  public RateLimit {
    if (!(perSecond > 0) || perSecond > MAX_PER_SECOND) {
      throw new IllegalArgumentException("per-second must be more than 0 and at most " + (long) MAX_PER_SECOND + ", was " + perSecond);
    }
    if (burst < 1 || burst > 1_000_000) {
      throw new IllegalArgumentException("burst must be between 1 and 1000000, was " + burst);
    }
  }

  /**
   * The limit a config block gives: null (no limit) when {@code perSecond} is 0; a burst of 0
   * means one second's worth.
   */
  public static RateLimit of(double perSecond, int burst) {
    if (perSecond == 0) {
      return null;
    }
    return new RateLimit(perSecond, burst == 0 ? (int) Math.max(1, Math.ceil(perSecond)) : burst);
  }
}
