package io.rebound.server.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.config.ReboundConfigException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private final AtomicLong now = new AtomicLong();

  @Test
  void aCallerMaySendItsBurstThenWaitsForTheRefill() {
    RateLimiter limiter = new RateLimiter(new RateLimitSettings(2, 3), now::get);
    for (int i = 0; i < 3; i++) {
      assertEquals(Duration.ZERO, limiter.acquire("a"));
    }
    Duration wait = limiter.acquire("a");
    assertEquals(Duration.ofMillis(500), wait);
    now.addAndGet(Duration.ofMillis(500).toNanos());
    assertEquals(Duration.ZERO, limiter.acquire("a"));
    assertTrue(limiter.acquire("a").compareTo(Duration.ZERO) > 0);
  }

  @Test
  void eachCallerHasItsOwnBucket() {
    RateLimiter limiter = new RateLimiter(new RateLimitSettings(1, 1), now::get);
    assertEquals(Duration.ZERO, limiter.acquire("a"));
    assertTrue(limiter.acquire("a").compareTo(Duration.ZERO) > 0);
    assertEquals(Duration.ZERO, limiter.acquire("b"));
  }

  @Test
  void zeroRequestsPerSecondTurnsTheLimitOff() {
    RateLimiter limiter = new RateLimiter(RateLimitSettings.off(), now::get);
    for (int i = 0; i < 1000; i++) {
      assertEquals(Duration.ZERO, limiter.acquire("a"));
    }
  }

  @Test
  void invalidSettingsNameTheirKey() {
    assertEquals("rebound.http.rate-limit.requests-per-second",
        assertThrows(ReboundConfigException.class, () -> new RateLimitSettings(-1, 1)).key());
    assertEquals("rebound.http.rate-limit.burst", assertThrows(ReboundConfigException.class, () -> new RateLimitSettings(1, 0)).key());
  }
}
