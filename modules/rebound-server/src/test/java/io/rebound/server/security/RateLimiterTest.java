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

  @Test
  void aBodyTakesItsSizeFromTheCallersByteBucket() {
    RateLimiter limiter = new RateLimiter(new RateLimitSettings(0, 1, 1000, 4000), now::get);
    assertEquals(Duration.ZERO, limiter.acquireBytes("a", 3000));
    assertEquals(Duration.ofSeconds(2), limiter.acquireBytes("a", 3000));
    assertEquals(Duration.ZERO, limiter.acquireBytes("b", 3000), "another caller has its own bucket");
    assertEquals(Duration.ZERO, limiter.acquire("a"), "requests are not limited here");
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    assertEquals(Duration.ZERO, limiter.acquireBytes("a", 3000));
  }

  @Test
  void aBodyOverTheBurstPassesWhenTheBucketIsFullAndABodyReadWithoutALengthLeavesADebt() {
    RateLimiter limiter = new RateLimiter(new RateLimitSettings(0, 1, 1000, 4000), now::get);
    assertEquals(Duration.ZERO, limiter.acquireBytes("a", 1_000_000));
    limiter.chargeBytes("b", 6000);
    assertEquals(Duration.ofSeconds(3), limiter.acquireBytes("b", 1000));
  }

  @Test
  void zeroBytesPerSecondTurnsTheByteLimitOff() {
    RateLimiter limiter = new RateLimiter(new RateLimitSettings(1, 1), now::get);
    assertEquals(Duration.ZERO, limiter.acquireBytes("a", Long.MAX_VALUE));
    assertEquals("rebound.http.rate-limit.bytes-burst",
        assertThrows(ReboundConfigException.class, () -> new RateLimitSettings(1, 1, 10, 0)).key());
  }
}
