package io.rebound.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * How an item is retried: an immutable value built with {@link #builder()}. Every setter
 * validates its argument and throws {@link IllegalArgumentException} naming the field.
 *
 * <p>Defaults: {@code maxAttempts = 5}, exponential backoff from {@code initial = 1s} with {@code
 * multiplier = 2.0} capped at {@code maxInterval = 1h}, {@code jitter = FULL}; the schedule
 * (used only with {@link Backoff#SCHEDULE}) defaults to {@code 1m, 5m, 15m, 1h}, and its last entry
 * repeats. Per-error-kind overrides replace the whole policy for failures of that kind.
 *
 * <p>Rules across fields are checked by {@link Builder#build()}, so the order of the setters never
 * changes the result: a {@code maxInterval} that was set must not be less than {@code initial}, one
 * not set follows {@code initial} up; a {@code backoff} that was set wins, otherwise setting a
 * schedule means {@link Backoff#SCHEDULE}.
 */
public final class RetryPolicy {

  /** How the delay between attempts grows. */
  public enum Backoff {
    /** {@code initial * multiplier^(n-1)}, capped at {@code maxInterval}. */
    EXPONENTIAL,
    /** The n-th entry of an explicit schedule; the last entry repeats. */
    SCHEDULE
  }

  /** How randomness spreads retries out so that failures do not retry in lockstep. */
  public enum Jitter {
    /** Exactly the computed delay. */
    NONE,
    /** Uniform in {@code [0, delay]}. */
    FULL,
    /** Uniform in {@code [delay/2, delay]}. */
    EQUAL
  }

  public static final int MAX_ATTEMPTS_LIMIT = 10_000;
  /**
   * The longest wait anywhere in Rebound, the one cap: a policy's delays, a server's Retry-After,
   * an enqueue's delay, a queue's max-park.
   */
  public static final Duration MAX_DELAY = Duration.ofDays(365);
  private static final Duration LONGEST = MAX_DELAY;
  private static final int SCHEDULE_LIMIT = 100;

  private static final RetryPolicy DEFAULT = new Builder().build();

  private final int maxAttempts;
  private final Backoff backoff;
  private final Duration initial;
  private final double multiplier;
  private final Duration maxInterval;
  private final List<Duration> schedule;
  private final Jitter jitter;
  private final Map<ErrorKind, RetryPolicy> overrides;

  private RetryPolicy(Builder b, Backoff backoff, Duration maxInterval) {
    this.maxAttempts = b.maxAttempts;
    this.backoff = backoff;
    this.initial = b.initial;
    this.multiplier = b.multiplier;
    this.maxInterval = maxInterval;
    this.schedule = List.copyOf(b.schedule);
    this.jitter = b.jitter;
    this.overrides = Map.copyOf(b.overrides);
  }

  public static RetryPolicy defaults() {
    return DEFAULT;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this policy's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * What follows a failed attempt.
   *
   * @param attempt the number of the attempt that failed, from 1
   * @param kind why it failed
   * @param random the source of jitter
   * @return the delay before the next attempt, or empty when the item is to be dead-lettered
   */
  public Optional<Duration> retryDelay(int attempt, ErrorKind kind, RandomGenerator random) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
    }
    if (kind == ErrorKind.PERMANENT) {
      return Optional.empty();
    }
    RetryPolicy effective = overrides.getOrDefault(kind, this);
    if (attempt >= effective.maxAttempts) {
      return Optional.empty();
    }
    return Optional.of(effective.jittered(effective.baseDelay(attempt), random));
  }

  /** The delay after the given failed attempt before jitter. */
  public Duration baseDelay(int attempt) {
    if (backoff == Backoff.SCHEDULE) {
      return schedule.get(Math.min(attempt, schedule.size()) - 1);
    }
    double nanos = initial.toNanos() * Math.pow(multiplier, attempt - 1);
    long cap = maxInterval.toNanos();
    return nanos >= cap ? maxInterval : Duration.ofNanos((long) nanos);
  }

  private Duration jittered(Duration delay, RandomGenerator random) {
    long nanos = delay.toNanos();
    return switch (jitter) {
      case NONE -> delay;
      case FULL -> Duration.ofNanos((long) (nanos * random.nextDouble()));
      case EQUAL -> Duration.ofNanos(nanos / 2 + (long) ((nanos - nanos / 2) * random.nextDouble()));
    };
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Backoff backoff() {
    return backoff;
  }

  public Duration initial() {
    return initial;
  }

  public double multiplier() {
    return multiplier;
  }

  public Duration maxInterval() {
    return maxInterval;
  }

  public List<Duration> schedule() {
    return schedule;
  }

  public Jitter jitter() {
    return jitter;
  }

  public Map<ErrorKind, RetryPolicy> overrides() {
    return overrides;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RetryPolicy p
        && maxAttempts == p.maxAttempts
        && backoff == p.backoff
        && initial.equals(p.initial)
        && Double.compare(multiplier, p.multiplier) == 0
        && maxInterval.equals(p.maxInterval)
        && schedule.equals(p.schedule)
        && jitter == p.jitter
        && overrides.equals(p.overrides);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxAttempts, backoff, initial, multiplier, maxInterval, schedule, jitter, overrides);
  }

  @Override
  public String toString() {
    String growth =
        backoff == Backoff.SCHEDULE
            ? "schedule=" + schedule
            : "exponential(initial=" + initial + ", multiplier=" + multiplier + ", max=" + maxInterval + ")";
    return "RetryPolicy(maxAttempts=" + maxAttempts + ", " + growth + ", jitter=" + jitter
        + (overrides.isEmpty() ? "" : ", overrides=" + overrides) + ")";
  }

  /**
   * Parses a duration as written in config and on the command line: a number followed by
   * {@code ms}, {@code s}, {@code m}, {@code h} or {@code d} ({@code 1m}, {@code 250ms}), or an
   * ISO-8601 duration ({@code PT1M}).
   */
  public static Duration parseDuration(String text) {
    String t = Objects.requireNonNull(text, "duration").trim();
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Duration.parse(t);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("not a duration: '" + text + "'");
      }
    }
    int i = 0;
    while (i < t.length() && Character.isDigit(t.charAt(i))) {
      i++;
    }
    if (i == 0 || i == t.length()) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (use e.g. 250ms, 30s, 5m, 1h, 1d)");
    }
    long n;
    try {
      n = Long.parseLong(t.substring(0, i));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a duration: '" + text + "'");
    }
    try {
      return switch (t.substring(i).trim()) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        case "d" -> Duration.ofDays(n);
        default -> throw new IllegalArgumentException("not a duration: '" + text + "' (use e.g. 250ms, 30s, 5m, 1h, 1d)");
      };
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (too large)");
    }
  }

  /** Builds a {@link RetryPolicy}; each setter validates at once. */
  public static final class Builder {
    private int maxAttempts = 5;
    // backoff and maxInterval: what was set (null: not set) beside what applies when nothing is,
    // so that build() can apply the rules between fields whatever the order of the setters.
    private Backoff backoff;
    private Backoff backoffUnset = Backoff.EXPONENTIAL;
    private boolean scheduleSet;
    private Duration initial = Duration.ofSeconds(1);
    private double multiplier = 2.0;
    private Duration maxInterval;
    private Duration maxIntervalUnset = Duration.ofHours(1);
    private List<Duration> schedule =
        List.of(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1));
    private Jitter jitter = Jitter.FULL;
    private final Map<ErrorKind, RetryPolicy> overrides = new EnumMap<>(ErrorKind.class);

    private Builder() {}

    /** The policy's values, as if none of them had been set: setters then act as on a new builder. */
    private Builder(RetryPolicy p) {
      maxAttempts = p.maxAttempts;
      backoffUnset = p.backoff;
      initial = p.initial;
      multiplier = p.multiplier;
      maxIntervalUnset = p.maxInterval;
      schedule = p.schedule;
      jitter = p.jitter;
      overrides.putAll(p.overrides);
    }

    /** Attempts in all, the first included; 1 means no retry. Default 5. */
    public Builder maxAttempts(int value) {
      if (value < 1 || value > MAX_ATTEMPTS_LIMIT) {
        throw new IllegalArgumentException("maxAttempts must be between 1 and " + MAX_ATTEMPTS_LIMIT + ", was " + value);
      }
      maxAttempts = value;
      return this;
    }

    /** EXPONENTIAL (default) or SCHEDULE. */
    public Builder backoff(Backoff value) {
      backoff = required("backoff", value);
      return this;
    }

    /**
     * The first retry delay of exponential backoff; 0 or more. Default 1s. A {@code maxInterval}
     * not set follows it up; one set must not be less (checked by {@link #build()}).
     */
    public Builder initial(Duration value) {
      initial = checkDuration("initial", value);
      return this;
    }

    /** How much each exponential delay grows over the previous; 1.0 to 100. Default 2.0. */
    public Builder multiplier(double value) {
      if (!(value >= 1.0 && value <= 100.0)) {
        throw new IllegalArgumentException("multiplier must be between 1.0 and 100, was " + value);
      }
      multiplier = value;
      return this;
    }

    /**
     * The cap of exponential backoff; not less than initial, whichever is set first (checked by
     * {@link #build()}). Default 1h, or initial when that is longer.
     */
    public Builder maxInterval(Duration value) {
      maxInterval = checkDuration("maxInterval", value);
      return this;
    }

    /**
     * An explicit schedule, which means backoff SCHEDULE unless {@link #backoff} is set (before or
     * after); the last entry repeats.
     */
    public Builder schedule(List<Duration> value) {
      required("schedule", value);
      if (value.isEmpty() || value.size() > SCHEDULE_LIMIT) {
        throw new IllegalArgumentException("schedule must have 1 to " + SCHEDULE_LIMIT + " entries, had " + value.size());
      }
      List<Duration> checked = new ArrayList<>(value.size());
      for (int i = 0; i < value.size(); i++) {
        checked.add(checkDuration("schedule[" + i + "]", value.get(i)));
      }
      schedule = List.copyOf(checked);
      scheduleSet = true;
      return this;
    }

    /** An explicit schedule written as {@code "1m, 5m, 15m, 1h"}; see {@link #schedule(List)}. */
    public Builder schedule(String value) {
      required("schedule", value);
      List<Duration> parsed = new ArrayList<>();
      for (String part : value.split(",", -1)) {
        try {
          parsed.add(parseDuration(part));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("schedule: " + e.getMessage());
        }
      }
      return schedule(parsed);
    }

    /** NONE, FULL (default) or EQUAL. */
    public Builder jitter(Jitter value) {
      jitter = required("jitter", value);
      return this;
    }

    /**
     * Uses another policy for failures of one kind (TRANSIENT, TIMEOUT or ORPHANED): its delays,
     * and its maxAttempts as the limit when such a failure happens. Overrides do not nest.
     */
    public Builder override(ErrorKind kind, RetryPolicy policy) {
      required("kind", kind);
      required("policy", policy);
      if (!kind.isRetryable()) {
        throw new IllegalArgumentException("override: " + kind + " is never retried, so it takes no policy");
      }
      if (!policy.overrides.isEmpty()) {
        throw new IllegalArgumentException("override for " + kind + " must not have overrides of its own");
      }
      overrides.put(kind, policy);
      return this;
    }

    /**
     * The policy, once the rules between fields hold.
     *
     * @throws IllegalArgumentException naming {@code maxInterval} when one was set below {@code initial}
     */
    public RetryPolicy build() {
      Duration cap = maxInterval;
      if (cap == null) {
        cap = initial.compareTo(maxIntervalUnset) > 0 ? initial : maxIntervalUnset;
      } else if (cap.compareTo(initial) < 0) {
        throw new IllegalArgumentException("maxInterval must not be less than initial (" + initial + "), was " + cap);
      }
      Backoff b = backoff != null ? backoff : scheduleSet ? Backoff.SCHEDULE : backoffUnset;
      return new RetryPolicy(this, b, cap);
    }

    private static <T> T required(String field, T value) {
      if (value == null) {
        throw new IllegalArgumentException(field + " must be set");
      }
      return value;
    }

    private static Duration checkDuration(String field, Duration value) {
      if (value == null) {
        throw new IllegalArgumentException(field + " must be set");
      }
      if (value.isNegative() || value.compareTo(LONGEST) > 0) {
        throw new IllegalArgumentException(field + " must be between 0 and 365 days, was " + value);
      }
      return value;
    }
  }
}
