package io.rebound.core.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a queue keeps its terminal items (journal and index row) after they reached their
 * final status: an immutable value built with {@link #builder()}; every setter validates.
 * Defaults: succeeded 7d, dead-lettered 30d (people come back to dead letters after a fix),
 * cancelled 7d.
 */
public final class RetentionPeriods {
  /** Long enough to mean "keep it", short enough that {@code now - period} never overflows. */
  static final Duration MAX = Duration.ofDays(36_500);

  private static final RetentionPeriods DEFAULTS = builder().build();

  private final Duration succeeded;
  private final Duration deadLettered;
  private final Duration cancelled;

  private RetentionPeriods(Builder b) {
    succeeded = b.succeeded;
    deadLettered = b.deadLettered;
    cancelled = b.cancelled;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static RetentionPeriods defaults() {
    return DEFAULTS;
  }

  public Duration succeeded() {
    return succeeded;
  }

  public Duration deadLettered() {
    return deadLettered;
  }

  public Duration cancelled() {
    return cancelled;
  }

  public Builder toBuilder() {
    return new Builder().succeeded(succeeded).deadLettered(deadLettered).cancelled(cancelled);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RetentionPeriods r
        && succeeded.equals(r.succeeded) && deadLettered.equals(r.deadLettered) && cancelled.equals(r.cancelled);
  }

  @Override
  public int hashCode() {
    return Objects.hash(succeeded, deadLettered, cancelled);
  }

  @Override
  public String toString() {
    return "RetentionPeriods(succeeded=" + succeeded + ", deadLettered=" + deadLettered + ", cancelled=" + cancelled + ")";
  }

  public static final class Builder {
    private Duration succeeded = Duration.ofDays(7);
    private Duration deadLettered = Duration.ofDays(30);
    private Duration cancelled = Duration.ofDays(7);

    private Builder() {}

    /** More than 0, at most 36,500 days. Default 7d. */
    public Builder succeeded(Duration value) {
      succeeded = positive("succeeded", value);
      return this;
    }

    /** More than 0, at most 36,500 days. Default 30d. */
    public Builder deadLettered(Duration value) {
      deadLettered = positive("dead-lettered", value);
      return this;
    }

    /** More than 0, at most 36,500 days. Default 7d. */
    public Builder cancelled(Duration value) {
      cancelled = positive("cancelled", value);
      return this;
    }

    public RetentionPeriods build() {
      return new RetentionPeriods(this);
    }

    private static Duration positive(String field, Duration value) {
      if (value == null || value.isZero() || value.isNegative() || value.compareTo(MAX) > 0) {
        throw new IllegalArgumentException(
            "retention " + field + " must be more than 0 and at most " + MAX.toDays() + " days, was " + value);
      }
      return value;
    }
  }
}
