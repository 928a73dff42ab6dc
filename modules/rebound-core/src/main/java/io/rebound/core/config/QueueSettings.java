package io.rebound.core.config;

import io.rebound.api.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How one queue runs: an immutable value built with {@link #builder(String)}; every setter
 * validates. Defaults: {@code concurrency = 8}, {@code attemptTimeout = 5m}, {@code parkRetry = 30s},
 * {@link RetryPolicy#defaults()}, no tools, {@code maxPark = 24h}, {@link RetentionPeriods#defaults()}.
 */
public final class QueueSettings {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final String name;
  private final int concurrency;
  private final Duration attemptTimeout;
  private final Duration attemptKillGrace;
  private final Duration stopGrace;
  private final Duration parkRetry;
  private final RetryPolicy retryPolicy;
  private final List<String> tools;
  private final Duration maxPark;
  private final RetentionPeriods retention;
  private final RateLimit rateLimit;
  private final int groupConcurrency;
  private final RateLimit groupRateLimit;

  private QueueSettings(Builder b) {
    rateLimit = b.rateLimit;
    groupConcurrency = b.groupConcurrency;
    groupRateLimit = b.groupRateLimit;
    name = b.name;
    concurrency = b.concurrency;
    attemptTimeout = b.attemptTimeout;
    attemptKillGrace = b.attemptKillGrace;
    stopGrace = b.stopGrace;
    parkRetry = b.parkRetry;
    retryPolicy = b.retryPolicy;
    tools = b.tools;
    maxPark = b.maxPark;
    retention = b.retention;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  /** Attempts of this queue that may run at once on one node. */
  public int concurrency() {
    return concurrency;
  }

  /** How long an attempt may run without an outcome or a heartbeat before it fails with TIMEOUT. */
  public Duration attemptTimeout() {
    return attemptTimeout;
  }

  /**
   * After a timeout, cancel or stop has signalled an attempt's handler, how long the item waits for
   * the handler to end before it goes on anyway (its permit is held until then).
   */
  public Duration attemptKillGrace() {
    return attemptKillGrace;
  }

  /**
   * When the item must move (a shard handoff, a rolling restart, a node shutdown) while its attempt
   * runs, how long the attempt may go on to its own end before its handler is told to stop (zero:
   * at once). An attempt that ends within it keeps its outcome instead of counting as ORPHANED.
   */
  public Duration stopGrace() {
    return stopGrace;
  }

  /** How long a parked item waits before it tries again (the attempt does not count). */
  public Duration parkRetry() {
    return parkRetry;
  }

  /** The policy for items that were not given one of their own at enqueue. */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** The tools its handler needs: while one is down, its items park instead of running. */
  public List<String> tools() {
    return tools;
  }

  /** A parked item waiting for a tool longer than this is dead-lettered (TOOL_UNAVAILABLE). */
  public Duration maxPark() {
    return maxPark;
  }

  /** How long its terminal items are kept before the retention job purges them. */
  public RetentionPeriods retention() {
    return retention;
  }

  /** Attempts of this queue started per second across the cluster; empty when unlimited. */
  public java.util.Optional<RateLimit> rateLimit() {
    return java.util.Optional.ofNullable(rateLimit);
  }

  /** Attempts of one group of this queue that may run at once across the cluster; 0 when unlimited. */
  public int groupConcurrency() {
    return groupConcurrency;
  }

  /** Attempts of one group of this queue started per second across the cluster; empty when unlimited. */
  public java.util.Optional<RateLimit> groupRateLimit() {
    return java.util.Optional.ofNullable(groupRateLimit);
  }

  /** Whether a cluster-wide limit applies, so that its permits go through the queue's limiter. */
  public boolean limited() {
    return rateLimit != null || groupConcurrency > 0 || groupRateLimit != null;
  }

  public Builder toBuilder() {
    return new Builder(name)
        .rateLimit(rateLimit)
        .groupConcurrency(groupConcurrency)
        .groupRateLimit(groupRateLimit)
        .concurrency(concurrency)
        .attemptTimeout(attemptTimeout)
        .attemptKillGrace(attemptKillGrace)
        .stopGrace(stopGrace)
        .parkRetry(parkRetry)
        .retryPolicy(retryPolicy)
        .tools(tools)
        .maxPark(maxPark)
        .retention(retention);
  }

  @Override
  public String toString() {
    return "QueueSettings(" + name + ", concurrency=" + concurrency + ", attemptTimeout=" + attemptTimeout
        + ", parkRetry=" + parkRetry + ", " + retryPolicy + ")";
  }

  public static final class Builder {
    private final String name;
    private int concurrency = 8;
    private Duration attemptTimeout = Duration.ofMinutes(5);
    private Duration attemptKillGrace = Duration.ofSeconds(10);
    private Duration stopGrace = Duration.ofSeconds(5);
    private Duration parkRetry = Duration.ofSeconds(30);
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private List<String> tools = List.of();
    private Duration maxPark = Duration.ofHours(24);
    private RetentionPeriods retention = RetentionPeriods.defaults();
    private RateLimit rateLimit;
    private int groupConcurrency;
    private RateLimit groupRateLimit;

    private Builder(String name) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            "queue name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, was '" + name + "'");
      }
      this.name = name;
    }

    /** 1 to 10,000. Default 8. */
    public Builder concurrency(int value) {
      if (value < 1 || value > 10_000) {
        throw new IllegalArgumentException("concurrency must be between 1 and 10000, was " + value);
      }
      concurrency = value;
      return this;
    }

    /** More than 0, at most 7 days. Default 5m. */
    public Builder attemptTimeout(Duration value) {
      attemptTimeout = positive("attempt-timeout", value, Duration.ofDays(7));
      return this;
    }

    /** More than 0, at most 1 hour. Default 10s. */
    public Builder attemptKillGrace(Duration value) {
      attemptKillGrace = positive("attempt-kill-grace", value, Duration.ofHours(1));
      return this;
    }

    /** 0 (tell the handler at once) to 1 minute. Default 5s. */
    public Builder stopGrace(Duration value) {
      if (value == null || value.isNegative() || value.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("stop-grace must be between 0 and 1m, was " + value);
      }
      stopGrace = value;
      return this;
    }

    /** More than 0, at most 1 day. Default 30s. */
    public Builder parkRetry(Duration value) {
      parkRetry = positive("park-retry", value, Duration.ofDays(1));
      return this;
    }

    public Builder retryPolicy(RetryPolicy value) {
      retryPolicy = Objects.requireNonNull(value, "retry policy");
      return this;
    }

    /** Tool names (configured under rebound.tools). Default none. */
    public Builder tools(List<String> value) {
      if (value == null || value.stream().anyMatch(t -> t == null || t.isBlank())) {
        throw new IllegalArgumentException("tools must be a list of tool names");
      }
      tools = List.copyOf(value);
      return this;
    }

    /** More than 0, at most 365 days. Default 24h. */
    public Builder maxPark(Duration value) {
      maxPark = positive("max-park", value, RetryPolicy.MAX_DELAY);
      return this;
    }

    /** Default {@link RetentionPeriods#defaults()}. */
    public Builder retention(RetentionPeriods value) {
      retention = Objects.requireNonNull(value, "retention periods");
      return this;
    }

    /** Cluster-wide start rate of the queue; null for none. Default none. */
    public Builder rateLimit(RateLimit value) {
      rateLimit = value;
      return this;
    }

    /** Running attempts per group across the cluster, 0 (unlimited) to 10,000. Default 0. */
    public Builder groupConcurrency(int value) {
      if (value < 0 || value > 10_000) {
        throw new IllegalArgumentException("group-concurrency must be between 0 (no limit) and 10000, was " + value);
      }
      groupConcurrency = value;
      return this;
    }

    /** Cluster-wide start rate of each group; null for none. Default none. */
    public Builder groupRateLimit(RateLimit value) {
      groupRateLimit = value;
      return this;
    }

    public QueueSettings build() {
      return new QueueSettings(this);
    }

    private static Duration positive(String field, Duration value, Duration max) {
      if (value == null || value.isZero() || value.isNegative() || value.compareTo(max) > 0) {
        throw new IllegalArgumentException(field + " must be more than 0 and at most " + max + ", was " + value);
      }
      return value;
    }
  }
}
