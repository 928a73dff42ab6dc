package io.rebound.server.security;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;

/**
 * {@code rebound.http.rate-limit}: token buckets per API token (per client address when the API
 * is open), one counting requests and one counting request body bytes. A rate of 0 turns its
 * bucket off.
 *
 * @param bytesPerSecond body bytes a caller may send per second on average; 0: no byte limit
 * @param bytesBurst body bytes a caller may send at once after a quiet spell
 */
public record RateLimitSettings(double requestsPerSecond, int burst, long bytesPerSecond, long bytesBurst) {
  public static final String KEY = "rebound.http.rate-limit";

  public RateLimitSettings {
    if (!(requestsPerSecond >= 0) || Double.isInfinite(requestsPerSecond)) {
      throw new ReboundConfigException(KEY + ".requests-per-second", "must be 0 (off) or a positive number, was " + requestsPerSecond);
    }
    if (burst < 1) {
      throw new ReboundConfigException(KEY + ".burst", "must be at least 1, was " + burst);
    }
    if (bytesPerSecond < 0) {
      throw new ReboundConfigException(KEY + ".bytes-per-second", "must be 0 (off) or positive, was " + bytesPerSecond);
    }
    if (bytesBurst < 1) {
      throw new ReboundConfigException(KEY + ".bytes-burst", "must be at least 1 byte, was " + bytesBurst);
    }
  }

  /** A request limit without a byte limit. */
  public RateLimitSettings(double requestsPerSecond, int burst) {
    this(requestsPerSecond, burst, 0, 1);
  }

  public static RateLimitSettings off() {
    return new RateLimitSettings(0, 1);
  }

  public boolean enabled() {
    return requestsPerSecond > 0;
  }

  public boolean bytesEnabled() {
    return bytesPerSecond > 0;
  }

  public static RateLimitSettings from(Config config) {
    double rps = ReboundConfigException.reading(KEY + ".requests-per-second", () -> config.getDouble(KEY + ".requests-per-second"));
    int burst = ReboundConfigException.reading(KEY + ".burst", () -> config.getInt(KEY + ".burst"));
    long bps = config.hasPath(KEY + ".bytes-per-second")
        ? ReboundConfigException.reading(KEY + ".bytes-per-second", () -> config.getBytes(KEY + ".bytes-per-second")) : 0L;
    long bytesBurst = config.hasPath(KEY + ".bytes-burst")
        ? ReboundConfigException.reading(KEY + ".bytes-burst", () -> config.getBytes(KEY + ".bytes-burst")) : 1L;
    return new RateLimitSettings(rps, burst, bps, bytesBurst);
  }
}
