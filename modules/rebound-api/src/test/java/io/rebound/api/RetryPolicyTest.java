package io.rebound.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.RetryPolicy.Backoff;
import io.rebound.api.RetryPolicy.Jitter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class RetryPolicyTest {

  private static final Duration ONE_MINUTE = Duration.ofMinutes(1);
  private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
  private static final Duration FIFTEEN_MINUTES = Duration.ofMinutes(15);
  private static final Duration ONE_HOUR = Duration.ofHours(1);
  private static final List<Duration> STANDARD_SCHEDULE =
      List.of(ONE_MINUTE, FIVE_MINUTES, FIFTEEN_MINUTES, ONE_HOUR);
  private static final Duration YEAR = Duration.ofDays(365);

  /** Just below 1.0: the largest value {@link RandomGenerator#nextDouble()} may return. */
  private static final double ALMOST_ONE = Math.nextDown(1.0);

  // ---------------------------------------------------------------- helpers

  /** A generator whose nextDouble() always returns {@code value}. */
  private static RandomGenerator fixed(double value) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException("only nextDouble() is expected");
      }

      @Override
      public double nextDouble() {
        return value;
      }
    };
  }

  /** A generator that fails the test if it is drawn from at all. */
  private static RandomGenerator untouchable() {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new AssertionError("the generator must not be used");
      }

      @Override
      public double nextDouble() {
        throw new AssertionError("the generator must not be used");
      }
    };
  }

  /** Asserts an IllegalArgumentException whose message names {@code field}. */
  private static IllegalArgumentException assertRejected(String field, Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(
        e.getMessage() != null && e.getMessage().contains(field),
        () -> "message should name '" + field + "' but was: " + e.getMessage());
    return e;
  }

  private static RetryPolicy exact(RetryPolicy.Builder b) {
    return b.jitter(Jitter.NONE).build();
  }

  private static Duration delay(RetryPolicy p, int attempt, ErrorKind kind) {
    return p.retryDelay(attempt, kind, untouchable())
        .orElseThrow(() -> new AssertionError("expected a retry after attempt " + attempt + " (" + kind + ")"));
  }

  // ---------------------------------------------------------------- defaults

  @Nested
  class Defaults {

    @Test
    void defaultsAreFiveAttemptsOfExponentialBackoffFromOneSecondDoublingUpToAnHourWithFullJitter() {
      RetryPolicy p = RetryPolicy.defaults();
      assertEquals(5, p.maxAttempts());
      assertEquals(Backoff.EXPONENTIAL, p.backoff());
      assertEquals(Duration.ofSeconds(1), p.initial());
      assertEquals(2.0, p.multiplier());
      assertEquals(ONE_HOUR, p.maxInterval());
      assertEquals(Jitter.FULL, p.jitter());
      assertEquals(STANDARD_SCHEDULE, p.schedule());
      assertTrue(p.overrides().isEmpty());
    }

    @Test
    void aFreshBuilderBuildsTheDefaults() {
      assertEquals(RetryPolicy.defaults(), RetryPolicy.builder().build());
      assertEquals(RetryPolicy.defaults().hashCode(), RetryPolicy.builder().build().hashCode());
    }

    @Test
    void defaultsIsASingleSharedInstance() {
      assertSame(RetryPolicy.defaults(), RetryPolicy.defaults());
    }

    @Test
    void defaultBaseDelaysDoubleFromOneSecond() {
      RetryPolicy p = RetryPolicy.defaults();
      assertEquals(Duration.ofSeconds(1), p.baseDelay(1));
      assertEquals(Duration.ofSeconds(2), p.baseDelay(2));
      assertEquals(Duration.ofSeconds(4), p.baseDelay(3));
      assertEquals(Duration.ofSeconds(8), p.baseDelay(4));
    }

    @Test
    void defaultScheduleIsUsedWhenBackoffIsSwitchedToScheduleWithoutAnExplicitSchedule() {
      RetryPolicy p = RetryPolicy.builder().backoff(Backoff.SCHEDULE).build();
      assertEquals(STANDARD_SCHEDULE, p.schedule());
      assertEquals(ONE_MINUTE, p.baseDelay(1));
      assertEquals(ONE_HOUR, p.baseDelay(4));
      assertEquals(ONE_HOUR, p.baseDelay(5));
    }
  }

  // ---------------------------------------------------------------- schedule

  @Nested
  class Schedule {

    private void assertStandardScheduleDelays(RetryPolicy p) {
      assertEquals(ONE_MINUTE, p.baseDelay(1));
      assertEquals(FIVE_MINUTES, p.baseDelay(2));
      assertEquals(FIFTEEN_MINUTES, p.baseDelay(3));
      assertEquals(ONE_HOUR, p.baseDelay(4));
      assertEquals(ONE_HOUR, p.baseDelay(5));
      assertEquals(ONE_HOUR, p.baseDelay(6));
    }

    @Test
    void scheduleGivenAsAListDrivesBaseDelayForAttemptsOneToSix() {
      RetryPolicy p = RetryPolicy.builder().schedule(STANDARD_SCHEDULE).build();
      assertEquals(STANDARD_SCHEDULE, p.schedule());
      assertStandardScheduleDelays(p);
    }

    @Test
    void scheduleGivenAsAStringDrivesBaseDelayForAttemptsOneToSix() {
      RetryPolicy p = RetryPolicy.builder().schedule("1m, 5m, 15m, 1h").build();
      assertEquals(STANDARD_SCHEDULE, p.schedule());
      assertStandardScheduleDelays(p);
    }

    @Test
    void scheduleStringWithoutSpacesParsesTheSame() {
      assertEquals(
          RetryPolicy.builder().schedule(STANDARD_SCHEDULE).build(),
          RetryPolicy.builder().schedule("1m,5m,15m,1h").build());
    }

    @Test
    void scheduleStringAcceptsIsoEntriesAndSurroundingWhitespace() {
      RetryPolicy p = RetryPolicy.builder().schedule("  PT1M ,300s,\t15m , 1h  ").build();
      assertEquals(STANDARD_SCHEDULE, p.schedule());
    }

    @Test
    void scheduleRepeatsItsLastEntry() {
      RetryPolicy p = RetryPolicy.builder().schedule("10s, 20s").build();
      assertEquals(Duration.ofSeconds(20), p.baseDelay(3));
      assertEquals(Duration.ofSeconds(20), p.baseDelay(100));
      assertEquals(Duration.ofSeconds(20), p.baseDelay(RetryPolicy.MAX_ATTEMPTS_LIMIT));
      assertEquals(Duration.ofSeconds(20), p.baseDelay(Integer.MAX_VALUE));
    }

    @Test
    void singleEntryScheduleIsAConstantDelay() {
      RetryPolicy p = RetryPolicy.builder().schedule(List.of(Duration.ofSeconds(30))).build();
      for (int attempt = 1; attempt <= 10; attempt++) {
        assertEquals(Duration.ofSeconds(30), p.baseDelay(attempt));
      }
    }

    @Test
    void scheduleListSwitchesBackoffToSchedule() {
      RetryPolicy.Builder b = RetryPolicy.builder();
      assertEquals(Backoff.EXPONENTIAL, b.build().backoff());
      assertEquals(Backoff.SCHEDULE, b.schedule(STANDARD_SCHEDULE).build().backoff());
    }

    @Test
    void scheduleStringSwitchesBackoffToSchedule() {
      assertEquals(Backoff.SCHEDULE, RetryPolicy.builder().schedule("1m").build().backoff());
    }

    @Test
    void backoffCanBeSwitchedBackToExponentialAfterASchedule() {
      RetryPolicy p =
          RetryPolicy.builder().schedule("1m, 5m").backoff(Backoff.EXPONENTIAL).build();
      assertEquals(Backoff.EXPONENTIAL, p.backoff());
      assertEquals(Duration.ofSeconds(1), p.baseDelay(1));
      assertEquals(List.of(ONE_MINUTE, FIVE_MINUTES), p.schedule());
    }

    @Test
    void scheduleIgnoresExponentialSettings() {
      RetryPolicy p =
          RetryPolicy.builder()
              .initial(Duration.ofSeconds(7))
              .multiplier(3.0)
              .maxInterval(Duration.ofSeconds(8))
              .schedule(STANDARD_SCHEDULE)
              .build();
      assertStandardScheduleDelays(p);
    }

    @Test
    void scheduleOfZeroDelaysIsAllowed() {
      RetryPolicy p = RetryPolicy.builder().schedule("0s, 0ms").build();
      assertEquals(Duration.ZERO, p.baseDelay(1));
      assertEquals(Duration.ZERO, p.baseDelay(5));
    }

    @Test
    void scheduleOfAHundredEntriesIsAccepted() {
      List<Duration> hundred = Collections.nCopies(100, Duration.ofSeconds(1));
      assertEquals(100, RetryPolicy.builder().schedule(hundred).build().schedule().size());
    }
  }

  // ---------------------------------------------------------------- exponential

  @Nested
  class Exponential {

    @Test
    void exponentialDelayIsInitialTimesMultiplierToTheAttemptMinusOne() {
      RetryPolicy p =
          RetryPolicy.builder()
              .initial(Duration.ofMillis(100))
              .multiplier(3.0)
              .maxInterval(ONE_HOUR)
              .build();
      assertEquals(Duration.ofMillis(100), p.baseDelay(1));
      assertEquals(Duration.ofMillis(300), p.baseDelay(2));
      assertEquals(Duration.ofMillis(900), p.baseDelay(3));
      assertEquals(Duration.ofMillis(2_700), p.baseDelay(4));
      assertEquals(Duration.ofMillis(8_100), p.baseDelay(5));
    }

    @Test
    void fractionalMultiplierGrowsByThatFactor() {
      RetryPolicy p = RetryPolicy.builder().initial(Duration.ofSeconds(1)).multiplier(1.5).build();
      assertEquals(Duration.ofMillis(1_000), p.baseDelay(1));
      assertEquals(Duration.ofMillis(1_500), p.baseDelay(2));
      assertEquals(Duration.ofMillis(2_250), p.baseDelay(3));
      assertEquals(Duration.ofMillis(3_375), p.baseDelay(4));
    }

    @Test
    void multiplierOfOneGivesAConstantDelay() {
      RetryPolicy p = RetryPolicy.builder().initial(Duration.ofSeconds(3)).multiplier(1.0).build();
      for (int attempt = 1; attempt <= 50; attempt++) {
        assertEquals(Duration.ofSeconds(3), p.baseDelay(attempt));
      }
      assertEquals(Duration.ofSeconds(3), p.baseDelay(Integer.MAX_VALUE));
    }

    @Test
    void exponentialDelayIsCappedAtMaxInterval() {
      RetryPolicy p = RetryPolicy.defaults(); // 1s * 2^(n-1), cap 1h = 3600s
      assertEquals(Duration.ofSeconds(2_048), p.baseDelay(12));
      assertEquals(ONE_HOUR, p.baseDelay(13)); // 4096s > 3600s
      assertEquals(ONE_HOUR, p.baseDelay(14));
      assertEquals(ONE_HOUR, p.baseDelay(40));
    }

    @Test
    void exponentialDelayExactlyAtMaxIntervalIsMaxInterval() {
      RetryPolicy p =
          RetryPolicy.builder()
              .initial(Duration.ofSeconds(1))
              .multiplier(2.0)
              .maxInterval(Duration.ofSeconds(8))
              .build();
      assertEquals(Duration.ofSeconds(4), p.baseDelay(3));
      assertEquals(Duration.ofSeconds(8), p.baseDelay(4));
      assertEquals(Duration.ofSeconds(8), p.baseDelay(5));
    }

    @Test
    void exponentialDelayNeverExceedsMaxIntervalForAnyAttempt() {
      RetryPolicy p = RetryPolicy.defaults();
      Duration previous = Duration.ZERO;
      for (int attempt = 1; attempt <= RetryPolicy.MAX_ATTEMPTS_LIMIT; attempt++) {
        Duration d = p.baseDelay(attempt);
        assertTrue(d.compareTo(ONE_HOUR) <= 0, "attempt " + attempt + " gave " + d);
        assertTrue(d.compareTo(previous) >= 0, "delays must not shrink; attempt " + attempt + " gave " + d);
        previous = d;
      }
    }

    @Test
    void veryLargeAttemptNumbersAreCappedWithoutOverflow() {
      RetryPolicy p = RetryPolicy.builder().multiplier(100.0).maxInterval(YEAR).build();
      assertEquals(YEAR, p.baseDelay(64));
      assertEquals(YEAR, p.baseDelay(1_000));
      assertEquals(YEAR, p.baseDelay(RetryPolicy.MAX_ATTEMPTS_LIMIT));
      assertEquals(YEAR, p.baseDelay(Integer.MAX_VALUE));
    }

    @Test
    void zeroInitialStaysZeroForAnyAttempt() {
      RetryPolicy p = RetryPolicy.builder().initial(Duration.ZERO).multiplier(100.0).build();
      assertEquals(Duration.ZERO, p.baseDelay(1));
      assertEquals(Duration.ZERO, p.baseDelay(10));
      assertEquals(Duration.ZERO, p.baseDelay(RetryPolicy.MAX_ATTEMPTS_LIMIT)); // 0 * Infinity
      assertEquals(Duration.ZERO, p.baseDelay(Integer.MAX_VALUE));
    }

    @Test
    void zeroMaxIntervalMakesEveryDelayZero() {
      RetryPolicy p =
          RetryPolicy.builder().initial(Duration.ZERO).maxInterval(Duration.ZERO).build();
      assertEquals(Duration.ZERO, p.baseDelay(1));
      assertEquals(Duration.ZERO, p.baseDelay(1_000));
    }
  }

  // ---------------------------------------------------------------- jitter

  @Nested
  class JitterBounds {

    private static final int DRAWS = 20_000;

    private RetryPolicy withJitter(Jitter jitter) {
      // Delays 1s, 2s, 4s, ... up to 1h, across 30 attempts.
      return RetryPolicy.builder().maxAttempts(30).jitter(jitter).build();
    }

    @Test
    void noJitterGivesExactlyTheBaseDelay() {
      RetryPolicy p = withJitter(Jitter.NONE);
      Random random = new Random(42);
      for (int attempt = 1; attempt < p.maxAttempts(); attempt++) {
        for (int i = 0; i < 100; i++) {
          assertEquals(Optional.of(p.baseDelay(attempt)), p.retryDelay(attempt, ErrorKind.TRANSIENT, random));
        }
      }
    }

    @Test
    void noJitterDoesNotDrawFromTheGenerator() {
      RetryPolicy p = withJitter(Jitter.NONE);
      assertEquals(Optional.of(Duration.ofSeconds(1)), p.retryDelay(1, ErrorKind.TRANSIENT, untouchable()));
    }

    @Test
    void fullJitterIsAlwaysBetweenZeroAndTheDelay() {
      RetryPolicy p = withJitter(Jitter.FULL);
      Random random = new Random(42);
      for (int i = 0; i < DRAWS; i++) {
        int attempt = 1 + (i % (p.maxAttempts() - 1));
        Duration base = p.baseDelay(attempt);
        Duration d = p.retryDelay(attempt, ErrorKind.TRANSIENT, random).orElseThrow();
        assertFalse(d.isNegative(), () -> "negative: " + d);
        assertTrue(d.compareTo(base) <= 0, () -> d + " exceeds " + base);
      }
    }

    @Test
    void fullJitterActuallySpreadsOverTheWholeRange() {
      RetryPolicy p = withJitter(Jitter.FULL);
      Random random = new Random(7);
      Duration base = p.baseDelay(1); // 1s
      int belowQuarter = 0;
      int aboveThreeQuarters = 0;
      Set<Duration> distinct = new HashSet<>();
      for (int i = 0; i < DRAWS; i++) {
        Duration d = p.retryDelay(1, ErrorKind.TRANSIENT, random).orElseThrow();
        distinct.add(d);
        if (d.compareTo(base.dividedBy(4)) < 0) {
          belowQuarter++;
        }
        if (d.compareTo(base.multipliedBy(3).dividedBy(4)) > 0) {
          aboveThreeQuarters++;
        }
      }
      assertTrue(distinct.size() > DRAWS / 2, "jittered delays should vary");
      assertTrue(belowQuarter > DRAWS / 8, "too few low draws: " + belowQuarter);
      assertTrue(aboveThreeQuarters > DRAWS / 8, "too few high draws: " + aboveThreeQuarters);
    }

    @Test
    void equalJitterIsAlwaysBetweenHalfTheDelayAndTheDelay() {
      RetryPolicy p = withJitter(Jitter.EQUAL);
      Random random = new Random(42);
      for (int i = 0; i < DRAWS; i++) {
        int attempt = 1 + (i % (p.maxAttempts() - 1));
        Duration base = p.baseDelay(attempt);
        Duration d = p.retryDelay(attempt, ErrorKind.TRANSIENT, random).orElseThrow();
        assertTrue(d.compareTo(base.dividedBy(2)) >= 0, () -> d + " is below half of " + base);
        assertTrue(d.compareTo(base) <= 0, () -> d + " exceeds " + base);
      }
    }

    @Test
    void equalJitterStaysInBoundsForOddNanosecondDelays() {
      // d/2 of an odd number of nanoseconds is not representable; the lower bound is floor(d/2).
      Random random = new Random(3);
      for (long nanos : new long[] {1, 3, 999_999_999, 1_000_000_001, YEAR.toNanos() - 1}) {
        Duration base = Duration.ofNanos(nanos);
        RetryPolicy p = RetryPolicy.builder().schedule(List.of(base)).jitter(Jitter.EQUAL).build();
        for (int i = 0; i < 1_000; i++) {
          Duration d = p.retryDelay(1, ErrorKind.TRANSIENT, random).orElseThrow();
          assertTrue(d.compareTo(base.dividedBy(2)) >= 0, () -> d + " is below half of " + base);
          assertTrue(d.compareTo(base) <= 0, () -> d + " exceeds " + base);
        }
      }
    }

    @Test
    void seededGeneratorsGiveRepeatableJitter() {
      RetryPolicy p = withJitter(Jitter.FULL);
      Random a = new Random(1234);
      Random b = new Random(1234);
      for (int attempt = 1; attempt < p.maxAttempts(); attempt++) {
        assertEquals(
            p.retryDelay(attempt, ErrorKind.TRANSIENT, a), p.retryDelay(attempt, ErrorKind.TRANSIENT, b));
      }
    }

    @Test
    void fullJitterWithAZeroDrawIsZero() {
      RetryPolicy p = withJitter(Jitter.FULL);
      for (int attempt = 1; attempt < p.maxAttempts(); attempt++) {
        assertEquals(Optional.of(Duration.ZERO), p.retryDelay(attempt, ErrorKind.TRANSIENT, fixed(0.0)));
      }
    }

    @Test
    void fullJitterWithADrawJustBelowOneIsAtMostTheDelayAndWithinANanosecondOfIt() {
      RetryPolicy p = withJitter(Jitter.FULL);
      for (int attempt = 1; attempt < p.maxAttempts(); attempt++) {
        Duration base = p.baseDelay(attempt);
        Duration d = p.retryDelay(attempt, ErrorKind.TRANSIENT, fixed(ALMOST_ONE)).orElseThrow();
        assertTrue(d.compareTo(base) <= 0, d + " exceeds " + base);
        assertTrue(d.compareTo(base.minusNanos(1)) >= 0, d + " is too far below " + base);
      }
    }

    @Test
    void fullJitterWithAHalfDrawIsHalfTheDelay() {
      RetryPolicy p = withJitter(Jitter.FULL);
      assertEquals(Optional.of(Duration.ofMillis(500)), p.retryDelay(1, ErrorKind.TRANSIENT, fixed(0.5)));
      assertEquals(Optional.of(Duration.ofSeconds(4)), p.retryDelay(4, ErrorKind.TRANSIENT, fixed(0.5)));
    }

    @Test
    void equalJitterWithAZeroDrawIsExactlyHalfTheDelay() {
      RetryPolicy p = withJitter(Jitter.EQUAL);
      for (int attempt = 1; attempt < p.maxAttempts(); attempt++) {
        Duration base = p.baseDelay(attempt);
        assertEquals(Optional.of(base.dividedBy(2)), p.retryDelay(attempt, ErrorKind.TRANSIENT, fixed(0.0)));
      }
    }

    @Test
    void equalJitterWithADrawJustBelowOneIsAtMostTheDelayAndWithinANanosecondOfIt() {
      RetryPolicy p = withJitter(Jitter.EQUAL);
      for (int attempt = 1; attempt < p.maxAttempts(); attempt++) {
        Duration base = p.baseDelay(attempt);
        Duration d = p.retryDelay(attempt, ErrorKind.TRANSIENT, fixed(ALMOST_ONE)).orElseThrow();
        assertTrue(d.compareTo(base) <= 0, d + " exceeds " + base);
        assertTrue(d.compareTo(base.minusNanos(1)) >= 0, d + " is too far below " + base);
      }
    }

    @Test
    void equalJitterWithAHalfDrawIsThreeQuartersOfTheDelay() {
      RetryPolicy p = withJitter(Jitter.EQUAL);
      assertEquals(Optional.of(Duration.ofMillis(750)), p.retryDelay(1, ErrorKind.TRANSIENT, fixed(0.5)));
    }

    @ParameterizedTest
    @EnumSource(Jitter.class)
    void jitterOfTheLongestAllowedDelayStaysWithinBoundsAtTheExtremes(Jitter jitter) {
      // Delays above 2^53 ns cannot be held exactly in a double; the bounds must still hold.
      for (Duration base : List.of(YEAR, YEAR.minusNanos(1), Duration.ofNanos((1L << 53) + 3))) {
        RetryPolicy p = RetryPolicy.builder().schedule(List.of(base)).jitter(jitter).build();
        Duration low = jitter == Jitter.EQUAL ? base.dividedBy(2) : Duration.ZERO;
        for (double draw : new double[] {0.0, 0.5, ALMOST_ONE}) {
          Duration d = p.retryDelay(1, ErrorKind.TRANSIENT, fixed(draw)).orElseThrow();
          assertTrue(d.compareTo(low) >= 0, jitter + " draw " + draw + ": " + d + " below " + low);
          assertTrue(d.compareTo(base) <= 0, jitter + " draw " + draw + ": " + d + " exceeds " + base);
        }
      }
    }

    @Test
    void jitterAppliesToScheduleDelaysToo() {
      RetryPolicy p = RetryPolicy.builder().schedule(STANDARD_SCHEDULE).jitter(Jitter.EQUAL).build();
      assertEquals(Optional.of(Duration.ofSeconds(30)), p.retryDelay(1, ErrorKind.TRANSIENT, fixed(0.0)));
      assertEquals(Optional.of(Duration.ofMinutes(30)), p.retryDelay(4, ErrorKind.TRANSIENT, fixed(0.0)));
    }
  }

  // ---------------------------------------------------------------- retryDelay

  @Nested
  class RetryDelay {

    @Test
    void retriesWhileAttemptIsBelowMaxAttempts() {
      RetryPolicy p = exact(RetryPolicy.builder().maxAttempts(5));
      assertEquals(Duration.ofSeconds(1), delay(p, 1, ErrorKind.TRANSIENT));
      assertEquals(Duration.ofSeconds(2), delay(p, 2, ErrorKind.TRANSIENT));
      assertEquals(Duration.ofSeconds(4), delay(p, 3, ErrorKind.TRANSIENT));
      assertEquals(Duration.ofSeconds(8), delay(p, 4, ErrorKind.TRANSIENT));
    }

    @Test
    void deadLettersWhenAttemptReachesMaxAttempts() {
      RetryPolicy p = exact(RetryPolicy.builder().maxAttempts(5));
      assertEquals(Optional.empty(), p.retryDelay(5, ErrorKind.TRANSIENT, untouchable()));
    }

    @Test
    void deadLettersWhenAttemptIsBeyondMaxAttempts() {
      RetryPolicy p = RetryPolicy.defaults();
      assertEquals(Optional.empty(), p.retryDelay(6, ErrorKind.TRANSIENT, untouchable()));
      assertEquals(Optional.empty(), p.retryDelay(Integer.MAX_VALUE, ErrorKind.TRANSIENT, untouchable()));
    }

    @Test
    void maxAttemptsOfOneNeverRetries() {
      RetryPolicy p = RetryPolicy.builder().maxAttempts(1).build();
      for (ErrorKind kind : ErrorKind.values()) {
        assertEquals(Optional.empty(), p.retryDelay(1, kind, untouchable()), kind.name());
      }
    }

    @Test
    void scheduleBackoffRetriesWithScheduleDelaysThenDeadLetters() {
      RetryPolicy p = exact(RetryPolicy.builder().maxAttempts(7).schedule("1m, 5m, 15m, 1h"));
      assertEquals(ONE_MINUTE, delay(p, 1, ErrorKind.TRANSIENT));
      assertEquals(FIVE_MINUTES, delay(p, 2, ErrorKind.TRANSIENT));
      assertEquals(FIFTEEN_MINUTES, delay(p, 3, ErrorKind.TRANSIENT));
      assertEquals(ONE_HOUR, delay(p, 4, ErrorKind.TRANSIENT));
      assertEquals(ONE_HOUR, delay(p, 5, ErrorKind.TRANSIENT));
      assertEquals(ONE_HOUR, delay(p, 6, ErrorKind.TRANSIENT));
      assertEquals(Optional.empty(), p.retryDelay(7, ErrorKind.TRANSIENT, untouchable()));
    }

    @ParameterizedTest
    @EnumSource(value = ErrorKind.class, names = {"TRANSIENT", "TIMEOUT", "ORPHANED"})
    void retryableKindsFollowThePolicyWithoutOverrides(ErrorKind kind) {
      RetryPolicy p = exact(RetryPolicy.builder().maxAttempts(3));
      assertEquals(Duration.ofSeconds(1), delay(p, 1, kind));
      assertEquals(Duration.ofSeconds(2), delay(p, 2, kind));
      assertEquals(Optional.empty(), p.retryDelay(3, kind, untouchable()));
    }

    @Test
    void permanentFailuresAreAlwaysDeadLettered() {
      RetryPolicy p = RetryPolicy.builder().maxAttempts(RetryPolicy.MAX_ATTEMPTS_LIMIT).build();
      for (int attempt : new int[] {1, 2, 3, 100, RetryPolicy.MAX_ATTEMPTS_LIMIT, Integer.MAX_VALUE}) {
        assertEquals(Optional.empty(), p.retryDelay(attempt, ErrorKind.PERMANENT, untouchable()));
      }
    }

    @Test
    void permanentFailuresAreDeadLetteredEvenWhenOtherKindsHaveOverrides() {
      RetryPolicy override = RetryPolicy.builder().maxAttempts(100).build();
      RetryPolicy p =
          RetryPolicy.builder()
              .override(ErrorKind.TRANSIENT, override)
              .override(ErrorKind.TIMEOUT, override)
              .override(ErrorKind.ORPHANED, override)
              .build();
      assertEquals(Optional.empty(), p.retryDelay(1, ErrorKind.PERMANENT, untouchable()));
    }

    /**
     * The code gives TOOL_UNAVAILABLE no special treatment: it takes no override, so it falls back to
     * the base policy and is handled exactly like TRANSIENT (including dead-lettering at maxAttempts).
     */
    @Test
    void toolUnavailableFollowsTheBasePolicyLikeTransient() {
      RetryPolicy p = exact(RetryPolicy.builder().maxAttempts(3));
      assertEquals(Duration.ofSeconds(1), delay(p, 1, ErrorKind.TOOL_UNAVAILABLE));
      assertEquals(Duration.ofSeconds(2), delay(p, 2, ErrorKind.TOOL_UNAVAILABLE));
      assertEquals(Optional.empty(), p.retryDelay(3, ErrorKind.TOOL_UNAVAILABLE, untouchable()));
      for (int attempt = 1; attempt <= 4; attempt++) {
        assertEquals(
            p.retryDelay(attempt, ErrorKind.TRANSIENT, untouchable()),
            p.retryDelay(attempt, ErrorKind.TOOL_UNAVAILABLE, untouchable()));
      }
    }

    @Test
    void toolUnavailableIgnoresOverridesForOtherKinds() {
      RetryPolicy p =
          exact(
              RetryPolicy.builder()
                  .maxAttempts(3)
                  .override(ErrorKind.TRANSIENT, exact(RetryPolicy.builder().maxAttempts(9).schedule("7s"))));
      assertEquals(Duration.ofSeconds(7), delay(p, 2, ErrorKind.TRANSIENT));
      assertEquals(Duration.ofSeconds(2), delay(p, 2, ErrorKind.TOOL_UNAVAILABLE));
      assertEquals(Optional.empty(), p.retryDelay(3, ErrorKind.TOOL_UNAVAILABLE, untouchable()));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, -100, Integer.MIN_VALUE})
    void rejectsAttemptBelowOne(int attempt) {
      RetryPolicy p = RetryPolicy.defaults();
      for (ErrorKind kind : ErrorKind.values()) {
        assertRejected("attempt", () -> p.retryDelay(attempt, kind, new Random(1)));
      }
    }
  }

  // ---------------------------------------------------------------- overrides

  @Nested
  class Overrides {

    private final RetryPolicy timeoutPolicy =
        exact(RetryPolicy.builder().maxAttempts(2).schedule("30s"));

    private final RetryPolicy policy =
        exact(RetryPolicy.builder().maxAttempts(5).override(ErrorKind.TIMEOUT, timeoutPolicy));

    @Test
    void timeoutOverrideWithTwoAttemptsDeadLettersAfterTheSecondTimeout() {
      assertTrue(policy.retryDelay(1, ErrorKind.TIMEOUT, untouchable()).isPresent());
      assertEquals(Optional.empty(), policy.retryDelay(2, ErrorKind.TIMEOUT, untouchable()));
      assertEquals(Optional.empty(), policy.retryDelay(3, ErrorKind.TIMEOUT, untouchable()));
    }

    @Test
    void transientStillRetriesUnderTheBasePolicyWhenTimeoutIsOverridden() {
      assertEquals(Duration.ofSeconds(2), delay(policy, 2, ErrorKind.TRANSIENT));
      assertEquals(Duration.ofSeconds(4), delay(policy, 3, ErrorKind.TRANSIENT));
      assertEquals(Duration.ofSeconds(8), delay(policy, 4, ErrorKind.TRANSIENT));
      assertEquals(Optional.empty(), policy.retryDelay(5, ErrorKind.TRANSIENT, untouchable()));
    }

    @Test
    void orphanedIsUnaffectedByATimeoutOverride() {
      assertEquals(Duration.ofSeconds(2), delay(policy, 2, ErrorKind.ORPHANED));
    }

    @Test
    void overrideDelaysAreUsedForThatKind() {
      assertEquals(Duration.ofSeconds(30), delay(policy, 1, ErrorKind.TIMEOUT));
      assertEquals(Duration.ofSeconds(1), delay(policy, 1, ErrorKind.TRANSIENT));
    }

    @Test
    void overrideMaxAttemptsMayExceedTheBasePolicy() {
      RetryPolicy p =
          exact(
              RetryPolicy.builder()
                  .maxAttempts(2)
                  .override(ErrorKind.ORPHANED, exact(RetryPolicy.builder().maxAttempts(10).schedule("1m"))));
      assertEquals(Optional.empty(), p.retryDelay(2, ErrorKind.TRANSIENT, untouchable()));
      assertEquals(ONE_MINUTE, delay(p, 9, ErrorKind.ORPHANED));
      assertEquals(Optional.empty(), p.retryDelay(10, ErrorKind.ORPHANED, untouchable()));
    }

    @Test
    void overrideJitterIsUsedForThatKind() {
      RetryPolicy p =
          RetryPolicy.builder()
              .jitter(Jitter.NONE)
              .override(ErrorKind.TIMEOUT, RetryPolicy.builder().jitter(Jitter.FULL).build())
              .build();
      assertEquals(Optional.of(Duration.ZERO), p.retryDelay(1, ErrorKind.TIMEOUT, fixed(0.0)));
      assertEquals(Optional.of(Duration.ofSeconds(1)), p.retryDelay(1, ErrorKind.TRANSIENT, untouchable()));
    }

    @Test
    void laterOverrideForTheSameKindReplacesTheEarlierOne() {
      RetryPolicy first = RetryPolicy.builder().maxAttempts(2).build();
      RetryPolicy second = RetryPolicy.builder().maxAttempts(3).build();
      RetryPolicy p =
          RetryPolicy.builder().override(ErrorKind.TIMEOUT, first).override(ErrorKind.TIMEOUT, second).build();
      assertEquals(Map.of(ErrorKind.TIMEOUT, second), p.overrides());
    }

    @Test
    void overridesAreExposedByKind() {
      assertEquals(Map.of(ErrorKind.TIMEOUT, timeoutPolicy), policy.overrides());
    }

    @ParameterizedTest
    @EnumSource(value = ErrorKind.class, names = {"PERMANENT", "TOOL_UNAVAILABLE"})
    void rejectsOverrideForAKindThatIsNeverRetried(ErrorKind kind) {
      IllegalArgumentException e =
          assertRejected("override", () -> RetryPolicy.builder().override(kind, RetryPolicy.defaults()));
      assertTrue(e.getMessage().contains(kind.name()), e.getMessage());
    }

    @Test
    void rejectsNestedOverrides() {
      RetryPolicy nested =
          RetryPolicy.builder().override(ErrorKind.TRANSIENT, RetryPolicy.defaults()).build();
      IllegalArgumentException e =
          assertRejected("override", () -> RetryPolicy.builder().override(ErrorKind.TIMEOUT, nested));
      assertTrue(e.getMessage().contains("TIMEOUT"), e.getMessage());
    }

    @Test
    void rejectsNullOverrideKindOrPolicy() {
      IllegalArgumentException kind =
          assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().override(null, RetryPolicy.defaults()));
      assertEquals("kind must be set", kind.getMessage());
      IllegalArgumentException p =
          assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().override(ErrorKind.TIMEOUT, null));
      assertEquals("policy must be set", p.getMessage());
    }

    @Test
    void onlyTransientTimeoutAndOrphanedAreRetryable() {
      assertTrue(ErrorKind.TRANSIENT.isRetryable());
      assertTrue(ErrorKind.TIMEOUT.isRetryable());
      assertTrue(ErrorKind.ORPHANED.isRetryable());
      assertFalse(ErrorKind.PERMANENT.isRetryable());
      assertFalse(ErrorKind.TOOL_UNAVAILABLE.isRetryable());
    }
  }

  // ---------------------------------------------------------------- validation

  @Nested
  class SetterOrder {
    /** One setter call of a builder. */
    private record Call(String name, java.util.function.Consumer<RetryPolicy.Builder> apply) {
      @Override
      public String toString() {
        return name;
      }
    }

    private static List<List<Call>> permutations(List<Call> calls) {
      if (calls.size() <= 1) {
        return List.of(calls);
      }
      List<List<Call>> out = new ArrayList<>();
      for (Call first : calls) {
        List<Call> rest = new ArrayList<>(calls);
        rest.remove(first);
        for (List<Call> tail : permutations(rest)) {
          List<Call> order = new ArrayList<>();
          order.add(first);
          order.addAll(tail);
          out.add(order);
        }
      }
      return out;
    }

    private static RetryPolicy.Builder builder(RetryPolicy.Builder start, List<Call> order) {
      order.forEach(c -> c.apply().accept(start));
      return start;
    }

    private static final List<Call> CALLS = List.of(
        new Call("initial(2m)", b -> b.initial(Duration.ofMinutes(2))),
        new Call("maxInterval(10m)", b -> b.maxInterval(Duration.ofMinutes(10))),
        new Call("multiplier(3)", b -> b.multiplier(3.0)),
        new Call("schedule(1m, 5m)", b -> b.schedule("1m, 5m")),
        new Call("backoff(EXPONENTIAL)", b -> b.backoff(Backoff.EXPONENTIAL)),
        new Call("maxAttempts(7)", b -> b.maxAttempts(7)));

    @Test
    void everyOrderOfTheSettersBuildsTheSamePolicy() {
      RetryPolicy expected = builder(RetryPolicy.builder(), CALLS).build();
      assertEquals(Backoff.EXPONENTIAL, expected.backoff());
      assertEquals(Duration.ofMinutes(2), expected.initial());
      assertEquals(Duration.ofMinutes(10), expected.maxInterval());
      List<List<Call>> orders = permutations(CALLS);
      assertEquals(720, orders.size());
      for (List<Call> order : orders) {
        assertEquals(expected, builder(RetryPolicy.builder(), order).build(), () -> "in the order " + order);
      }
    }

    @Test
    void everyOrderOfAMaxIntervalBelowInitialFailsWithTheSameMessage() {
      List<Call> calls = List.of(
          new Call("initial(2m)", b -> b.initial(Duration.ofMinutes(2))),
          new Call("maxInterval(1m)", b -> b.maxInterval(ONE_MINUTE)),
          new Call("multiplier(3)", b -> b.multiplier(3.0)));
      Set<String> messages = new HashSet<>();
      for (List<Call> order : permutations(calls)) {
        RetryPolicy.Builder b = builder(RetryPolicy.builder(), order);
        messages.add(assertRejected("maxInterval", b::build).getMessage());
      }
      assertEquals(Set.of("maxInterval must not be less than initial (PT2M), was PT1M"), messages);
    }

    @Test
    void aScheduleMeansScheduleBackoffOnlyWhenBackoffIsNotSet() {
      assertEquals(Backoff.SCHEDULE, RetryPolicy.builder().schedule("1m").build().backoff());
      assertEquals(Backoff.EXPONENTIAL, RetryPolicy.builder().backoff(Backoff.EXPONENTIAL).schedule("1m").build().backoff());
      assertEquals(Backoff.EXPONENTIAL, RetryPolicy.builder().schedule("1m").backoff(Backoff.EXPONENTIAL).build().backoff());
    }

    @Test
    void aCopiedPolicysValuesActAsDefaultsForTheSameRules() {
      RetryPolicy base = RetryPolicy.builder().initial(Duration.ofSeconds(5)).maxInterval(Duration.ofMinutes(10)).build();
      // Its maxInterval was not set on the copy, so it follows initial up, as a new builder's default does.
      assertEquals(Duration.ofMinutes(20), base.toBuilder().initial(Duration.ofMinutes(20)).build().maxInterval());
      // One set on the copy is checked against initial in either order.
      assertRejected("maxInterval", () -> base.toBuilder().initial(Duration.ofMinutes(20)).maxInterval(ONE_MINUTE).build());
      assertRejected("maxInterval", () -> base.toBuilder().maxInterval(ONE_MINUTE).initial(Duration.ofMinutes(20)).build());
      // A schedule on a copy of an exponential policy switches it, a copy of a schedule policy keeps its backoff.
      assertEquals(Backoff.SCHEDULE, base.toBuilder().schedule("1m").build().backoff());
      RetryPolicy scheduled = RetryPolicy.builder().schedule("1m").build();
      assertEquals(Backoff.SCHEDULE, scheduled.toBuilder().initial(ONE_MINUTE).build().backoff());
      assertEquals(base, base.toBuilder().build());
      assertEquals(scheduled, scheduled.toBuilder().build());
    }
  }

  @Nested
  class Validation {

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void rejectsMaxAttemptsBelowOne(int value) {
      assertRejected("maxAttempts", () -> RetryPolicy.builder().maxAttempts(value));
    }

    @ParameterizedTest
    @ValueSource(ints = {RetryPolicy.MAX_ATTEMPTS_LIMIT + 1, Integer.MAX_VALUE})
    void rejectsMaxAttemptsAboveTheLimit(int value) {
      assertRejected("maxAttempts", () -> RetryPolicy.builder().maxAttempts(value));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, RetryPolicy.MAX_ATTEMPTS_LIMIT})
    void acceptsMaxAttemptsFromOneToTheLimit(int value) {
      assertEquals(value, RetryPolicy.builder().maxAttempts(value).build().maxAttempts());
    }

    @Test
    void rejectsNegativeInitial() {
      assertRejected("initial", () -> RetryPolicy.builder().initial(Duration.ofMillis(-1)));
      assertRejected("initial", () -> RetryPolicy.builder().initial(Duration.ofNanos(-1)));
    }

    @Test
    void rejectsNullInitial() {
      assertRejected("initial", () -> RetryPolicy.builder().initial(null));
    }

    @Test
    void rejectsInitialLongerThanAYear() {
      assertRejected("initial", () -> RetryPolicy.builder().initial(YEAR.plusNanos(1)));
    }

    @Test
    void acceptsZeroAndAYearAsInitial() {
      assertEquals(Duration.ZERO, RetryPolicy.builder().initial(Duration.ZERO).build().initial());
      assertEquals(YEAR, RetryPolicy.builder().initial(YEAR).build().initial());
    }

    @Test
    void rejectsNegativeMaxInterval() {
      assertRejected("maxInterval", () -> RetryPolicy.builder().maxInterval(Duration.ofSeconds(-1)));
    }

    @Test
    void rejectsNullMaxInterval() {
      assertRejected("maxInterval", () -> RetryPolicy.builder().maxInterval(null));
    }

    @Test
    void rejectsMaxIntervalLongerThanAYear() {
      assertRejected("maxInterval", () -> RetryPolicy.builder().maxInterval(YEAR.plusSeconds(1)));
    }

    @Test
    void rejectsMaxIntervalBelowInitialWhenBuilt() {
      RetryPolicy.Builder b = RetryPolicy.builder().initial(Duration.ofMinutes(10));
      assertRejected("maxInterval", () -> b.maxInterval(Duration.ofMinutes(9)).build());
      assertRejected("maxInterval", () -> RetryPolicy.builder().maxInterval(Duration.ofMillis(999)).build());
    }

    @Test
    void aRefusedBuildCanBeMendedBySettingEitherField() {
      RetryPolicy.Builder b = RetryPolicy.builder().initial(Duration.ofMinutes(10)).maxInterval(Duration.ofMinutes(9));
      assertRejected("maxInterval", b::build);
      assertEquals(Duration.ofMinutes(10), b.maxInterval(Duration.ofMinutes(10)).build().maxInterval());
      assertEquals(Duration.ofMinutes(9), b.maxInterval(Duration.ofMinutes(9)).initial(ONE_MINUTE).build().maxInterval());
    }

    @Test
    void acceptsMaxIntervalEqualToInitial() {
      RetryPolicy p =
          RetryPolicy.builder().initial(Duration.ofSeconds(5)).maxInterval(Duration.ofSeconds(5)).build();
      assertEquals(Duration.ofSeconds(5), p.maxInterval());
      assertEquals(Duration.ofSeconds(5), p.baseDelay(1));
      assertEquals(Duration.ofSeconds(5), p.baseDelay(10));
    }

    @Test
    void raisingInitialAboveMaxIntervalRaisesMaxInterval() {
      RetryPolicy p = RetryPolicy.builder().initial(Duration.ofHours(2)).build();
      assertEquals(Duration.ofHours(2), p.initial());
      assertEquals(Duration.ofHours(2), p.maxInterval());
      assertEquals(Duration.ofHours(2), p.baseDelay(3));
    }

    @Test
    void initialAboveAMaxIntervalThatWasSetIsRefusedRatherThanRaisingIt() {
      RetryPolicy.Builder b = RetryPolicy.builder().maxInterval(Duration.ofSeconds(10)).initial(Duration.ofMinutes(1));
      IllegalArgumentException e = assertRejected("maxInterval", b::build);
      assertEquals("maxInterval must not be less than initial (PT1M), was PT10S", e.getMessage());
    }

    @Test
    void initialBelowMaxIntervalLeavesMaxIntervalAlone() {
      RetryPolicy p = RetryPolicy.builder().initial(Duration.ofSeconds(10)).build();
      assertEquals(ONE_HOUR, p.maxInterval());
    }

    @Test
    void rejectsMultiplierBelowOne() {
      assertRejected("multiplier", () -> RetryPolicy.builder().multiplier(0.999));
      assertRejected("multiplier", () -> RetryPolicy.builder().multiplier(0.0));
      assertRejected("multiplier", () -> RetryPolicy.builder().multiplier(-2.0));
    }

    @Test
    void rejectsNanMultiplier() {
      assertRejected("multiplier", () -> RetryPolicy.builder().multiplier(Double.NaN));
    }

    @Test
    void rejectsMultiplierAboveOneHundred() {
      assertRejected("multiplier", () -> RetryPolicy.builder().multiplier(100.0001));
      assertRejected("multiplier", () -> RetryPolicy.builder().multiplier(Double.POSITIVE_INFINITY));
    }

    @Test
    void acceptsMultiplierFromOneToOneHundred() {
      assertEquals(1.0, RetryPolicy.builder().multiplier(1.0).build().multiplier());
      assertEquals(100.0, RetryPolicy.builder().multiplier(100.0).build().multiplier());
    }

    @Test
    void rejectsEmptySchedule() {
      assertRejected("schedule", () -> RetryPolicy.builder().schedule(List.of()));
    }

    @Test
    void rejectsScheduleOfMoreThanAHundredEntries() {
      List<Duration> tooMany = Collections.nCopies(101, Duration.ofSeconds(1));
      assertRejected("schedule", () -> RetryPolicy.builder().schedule(tooMany));
    }

    @Test
    void rejectsNegativeScheduleEntryNamingItsIndex() {
      assertRejected(
          "schedule[2]",
          () -> RetryPolicy.builder().schedule(List.of(ONE_MINUTE, FIVE_MINUTES, Duration.ofSeconds(-1))));
    }

    @Test
    void rejectsScheduleEntryLongerThanAYear() {
      assertRejected("schedule[0]", () -> RetryPolicy.builder().schedule(List.of(Duration.ofDays(366))));
    }

    @Test
    void rejectsNullScheduleEntryNamingItsIndex() {
      List<Duration> withNull = new ArrayList<>(List.of(ONE_MINUTE));
      withNull.add(null);
      assertRejected("schedule[1]", () -> RetryPolicy.builder().schedule(withNull));
    }

    @Test
    void rejectsNegativeIsoEntryInAScheduleString() {
      assertRejected("schedule[1]", () -> RetryPolicy.builder().schedule("1m, PT-5M"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "soon", "1m, 5 minutes", "1m; 5m", "1m, -5m", "1.5s", "1m, 5"})
    void rejectsUnparseableScheduleString(String schedule) {
      assertRejected("schedule", () -> RetryPolicy.builder().schedule(schedule));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1m,,5m", ",1m", "1m,5m,", "1m, 5m, ", ","})
    void rejectsScheduleStringWithAnEmptyEntry(String schedule) {
      assertRejected("schedule", () -> RetryPolicy.builder().schedule(schedule));
    }

    @Test
    void rejectsScheduleStringWhoseNumberOverflows() {
      assertRejected("schedule", () -> RetryPolicy.builder().schedule("1m, 9999999999999999d"));
    }

    @Test
    void rejectedScheduleLeavesTheBuilderUnchanged() {
      RetryPolicy.Builder b = RetryPolicy.builder();
      assertThrows(IllegalArgumentException.class, () -> b.schedule("1m, nope"));
      assertThrows(IllegalArgumentException.class, () -> b.schedule(List.of(Duration.ofSeconds(-1))));
      RetryPolicy p = b.build();
      assertEquals(Backoff.EXPONENTIAL, p.backoff());
      assertEquals(STANDARD_SCHEDULE, p.schedule());
    }

    @Test
    void rejectsNullScheduleBackoffAndJitter() {
      IllegalArgumentException list =
          assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().schedule((List<Duration>) null));
      assertEquals("schedule must be set", list.getMessage());
      IllegalArgumentException text =
          assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().schedule((String) null));
      assertEquals("schedule must be set", text.getMessage());
      IllegalArgumentException backoff =
          assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().backoff(null));
      assertEquals("backoff must be set", backoff.getMessage());
      IllegalArgumentException jitter =
          assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().jitter(null));
      assertEquals("jitter must be set", jitter.getMessage());
    }
  }

  // ---------------------------------------------------------------- parseDuration

  @Nested
  class ParseDuration {

    @Test
    void parsesMilliseconds() {
      assertEquals(Duration.ofMillis(250), RetryPolicy.parseDuration("250ms"));
    }

    @Test
    void parsesSeconds() {
      assertEquals(Duration.ofSeconds(30), RetryPolicy.parseDuration("30s"));
    }

    @Test
    void parsesMinutes() {
      assertEquals(Duration.ofMinutes(5), RetryPolicy.parseDuration("5m"));
    }

    @Test
    void parsesHours() {
      assertEquals(Duration.ofHours(1), RetryPolicy.parseDuration("1h"));
    }

    @Test
    void parsesDays() {
      assertEquals(Duration.ofDays(2), RetryPolicy.parseDuration("2d"));
    }

    @Test
    void parsesZero() {
      assertEquals(Duration.ZERO, RetryPolicy.parseDuration("0s"));
      assertEquals(Duration.ZERO, RetryPolicy.parseDuration("0ms"));
    }

    @Test
    void parsesLeadingZeros() {
      assertEquals(Duration.ofSeconds(7), RetryPolicy.parseDuration("007s"));
    }

    @Test
    void parsesIso8601() {
      assertEquals(Duration.ofMinutes(1), RetryPolicy.parseDuration("PT1M"));
      assertEquals(Duration.ofMillis(1_500), RetryPolicy.parseDuration("PT1.5S"));
      assertEquals(Duration.ofDays(1).plusHours(2), RetryPolicy.parseDuration("P1DT2H"));
    }

    @Test
    void parsesLowerCaseIso8601() {
      assertEquals(Duration.ofMinutes(1), RetryPolicy.parseDuration("pt1m"));
    }

    @Test
    void ignoresSurroundingWhitespace() {
      assertEquals(Duration.ofMinutes(5), RetryPolicy.parseDuration("  5m  "));
      assertEquals(Duration.ofMinutes(5), RetryPolicy.parseDuration("\t5m\n"));
      assertEquals(Duration.ofMinutes(1), RetryPolicy.parseDuration(" PT1M "));
    }

    @Test
    void allowsWhitespaceBetweenNumberAndUnit() {
      assertEquals(Duration.ofSeconds(30), RetryPolicy.parseDuration("30 s"));
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "", "   ", "abc", "5", "ms", "m5", "5x", "5 mins", "5M", "5S", "1.5s", "-5s", "+5s", "5m30s",
          "P", "PT", "Pfoo", "PT1X", "99999999999999999999s"
        })
    void rejectsGarbageWithIllegalArgumentException(String text) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> RetryPolicy.parseDuration(text));
      assertTrue(e.getMessage().contains("not a duration"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"9999999999999999d", "999999999999999999h", "999999999999999999m"})
    void rejectsNumbersTooLargeForADurationWithIllegalArgumentException(String text) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> RetryPolicy.parseDuration(text));
      assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void rejectsNull() {
      assertThrows(NullPointerException.class, () -> RetryPolicy.parseDuration(null));
    }
  }

  // ---------------------------------------------------------------- value semantics

  @Nested
  class ValueSemantics {

    private RetryPolicy fullyCustomised() {
      return RetryPolicy.builder()
          .maxAttempts(8)
          .initial(Duration.ofMillis(500))
          .multiplier(3.0)
          .maxInterval(Duration.ofMinutes(10))
          .schedule("10s, 1m")
          .backoff(Backoff.EXPONENTIAL)
          .jitter(Jitter.EQUAL)
          .override(ErrorKind.TIMEOUT, RetryPolicy.builder().maxAttempts(2).schedule("30s").build())
          .override(ErrorKind.ORPHANED, RetryPolicy.builder().maxAttempts(3).build())
          .build();
    }

    @Test
    void toBuilderRoundTripsEveryField() {
      RetryPolicy p = fullyCustomised();
      RetryPolicy copy = p.toBuilder().build();
      assertEquals(p, copy);
      assertEquals(p.hashCode(), copy.hashCode());
      assertEquals(p.maxAttempts(), copy.maxAttempts());
      assertEquals(p.backoff(), copy.backoff());
      assertEquals(p.initial(), copy.initial());
      assertEquals(p.multiplier(), copy.multiplier());
      assertEquals(p.maxInterval(), copy.maxInterval());
      assertEquals(p.schedule(), copy.schedule());
      assertEquals(p.jitter(), copy.jitter());
      assertEquals(p.overrides(), copy.overrides());
    }

    @Test
    void toBuilderRoundTripsTheDefaults() {
      assertEquals(RetryPolicy.defaults(), RetryPolicy.defaults().toBuilder().build());
    }

    @Test
    void changingACopiedBuilderDoesNotChangeTheOriginal() {
      RetryPolicy p = fullyCustomised();
      RetryPolicy changed =
          p.toBuilder()
              .maxAttempts(2)
              .jitter(Jitter.NONE)
              .override(ErrorKind.TRANSIENT, RetryPolicy.defaults())
              .build();
      assertNotEquals(p, changed);
      assertEquals(8, p.maxAttempts());
      assertEquals(Jitter.EQUAL, p.jitter());
      assertFalse(p.overrides().containsKey(ErrorKind.TRANSIENT));
      assertEquals(fullyCustomised(), p);
    }

    @Test
    void changingABuilderAfterBuildDoesNotChangeTheBuiltPolicy() {
      RetryPolicy.Builder b = RetryPolicy.builder().schedule("1m");
      RetryPolicy built = b.build();
      b.maxAttempts(9).schedule("2m").override(ErrorKind.TIMEOUT, RetryPolicy.defaults());
      assertEquals(5, built.maxAttempts());
      assertEquals(List.of(ONE_MINUTE), built.schedule());
      assertTrue(built.overrides().isEmpty());
    }

    @Test
    void equalPoliciesHaveEqualHashCodes() {
      RetryPolicy a = fullyCustomised();
      RetryPolicy b = fullyCustomised();
      assertEquals(a, b);
      assertEquals(b, a);
      assertEquals(a.hashCode(), b.hashCode());
      assertEquals(a, a);
    }

    @Test
    void policiesDifferingInAnyFieldAreNotEqual() {
      RetryPolicy base = fullyCustomised();
      List<RetryPolicy> variants =
          List.of(
              base.toBuilder().maxAttempts(9).build(),
              base.toBuilder().backoff(Backoff.SCHEDULE).build(),
              base.toBuilder().initial(Duration.ofMillis(501)).build(),
              base.toBuilder().multiplier(3.5).build(),
              base.toBuilder().maxInterval(Duration.ofMinutes(11)).build(),
              base.toBuilder().schedule("10s, 2m").backoff(Backoff.EXPONENTIAL).build(),
              base.toBuilder().jitter(Jitter.FULL).build(),
              base.toBuilder().override(ErrorKind.TRANSIENT, RetryPolicy.defaults()).build(),
              base.toBuilder().override(ErrorKind.TIMEOUT, RetryPolicy.defaults()).build());
      for (RetryPolicy v : variants) {
        assertNotEquals(base, v, v.toString());
        assertNotEquals(v, base, v.toString());
      }
    }

    @Test
    void isNotEqualToNullOrOtherTypes() {
      assertNotEquals(null, RetryPolicy.defaults());
      assertFalse(RetryPolicy.defaults().equals("RetryPolicy"));
    }

    @Test
    void scheduleListCannotBeModified() {
      List<Duration> schedule = RetryPolicy.builder().schedule(STANDARD_SCHEDULE).build().schedule();
      assertThrows(UnsupportedOperationException.class, () -> schedule.add(ONE_MINUTE));
      assertThrows(UnsupportedOperationException.class, () -> schedule.set(0, ONE_HOUR));
      assertThrows(UnsupportedOperationException.class, () -> schedule.remove(0));
      assertThrows(UnsupportedOperationException.class, schedule::clear);
      assertThrows(UnsupportedOperationException.class, () -> RetryPolicy.defaults().schedule().clear());
    }

    @Test
    void scheduleIsCopiedFromTheCallersList() {
      List<Duration> mine = new ArrayList<>(STANDARD_SCHEDULE);
      RetryPolicy p = RetryPolicy.builder().schedule(mine).build();
      mine.set(0, Duration.ofDays(1));
      mine.add(Duration.ofDays(2));
      assertEquals(STANDARD_SCHEDULE, p.schedule());
      assertEquals(ONE_MINUTE, p.baseDelay(1));
    }

    @Test
    void overridesMapCannotBeModified() {
      RetryPolicy p = fullyCustomised();
      Map<ErrorKind, RetryPolicy> overrides = p.overrides();
      assertThrows(UnsupportedOperationException.class, () -> overrides.put(ErrorKind.TRANSIENT, p));
      assertThrows(UnsupportedOperationException.class, () -> overrides.remove(ErrorKind.TIMEOUT));
      assertThrows(UnsupportedOperationException.class, overrides::clear);
      assertThrows(UnsupportedOperationException.class, () -> RetryPolicy.defaults().overrides().clear());
    }

    @Test
    void toStringDescribesTheGrowthInUse() {
      String exponential = RetryPolicy.defaults().toString();
      assertTrue(exponential.contains("maxAttempts=5"), exponential);
      assertTrue(exponential.contains("exponential"), exponential);
      assertTrue(exponential.contains("FULL"), exponential);
      String schedule = RetryPolicy.builder().schedule("1m, 5m").build().toString();
      assertTrue(schedule.contains("schedule=[PT1M, PT5M]"), schedule);
      assertTrue(fullyCustomised().toString().contains("overrides="), fullyCustomised().toString());
    }
  }
}
