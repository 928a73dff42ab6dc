package io.rebound.server.security;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;

/**
 * {@code rebound.http.rate-limit}: a token bucket per API token (per client address when the API
 * is open). {@code requestsPerSecond == 0} turns it off.
 */
public record RateLimitSettings(double requestsPerSecond, int burst) {
  public static final String KEY = "rebound.http.rate-limit";

  public RateLimitSettings {
    if (!(requestsPerSecond >= 0) || Double.isInfinite(requestsPerSecond)) {
      throw new ReboundConfigException(KEY + ".requests-per-second", "must be 0 (off) or a positive number, was " + requestsPerSecond);
    }
    if (burst < 1) {
      throw new ReboundConfigException(KEY + ".burst", "must be at least 1, was " + burst);
    }
  }

  public static RateLimitSettings off() {
    return new RateLimitSettings(0, 1);
  }

  public boolean enabled() {
    return requestsPerSecond > 0;
  }

  public static RateLimitSettings from(Config config) {
    double rps = ReboundConfigException.reading(KEY + ".requests-per-second", () -> config.getDouble(KEY + ".requests-per-second"));
    int burst = ReboundConfigException.reading(KEY + ".burst", () -> config.getInt(KEY + ".burst"));
    return new RateLimitSettings(rps, burst);
  }
}
