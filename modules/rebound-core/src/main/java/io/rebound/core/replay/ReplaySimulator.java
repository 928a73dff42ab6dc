package io.rebound.core.replay;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.replay.RecordedItem.Attempt;
import io.rebound.core.replay.RecordedItem.Parking;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * What another retry policy would have done with one recorded item: a pure function of the item's
 * recorded attempts and the policy (docs/REPLAY.md has the model).
 *
 * <ul>
 *   <li>The item's cause lasted from its first failure until its recorded success: an attempt due
 *       at or after the successful attempt was due succeeds; one due before fails as the recorded
 *       attempt then in effect failed (its kind, how long it ran, how long it waited for a permit).
 *   <li>A permanent failure stays permanent: an attempt due when a PERMANENT failure was in effect
 *       dead-letters the item.
 *   <li>An item that never succeeded is known to fail only up to its last recorded attempt: an
 *       attempt the policy makes after that is of UNKNOWN outcome, unless it gave up before.
 *   <li>Parking and timeouts stay as recorded: an attempt due while the item was parked waits for
 *       the recorded release (not counted), or ends in the dead letters where the parking did; a
 *       timed-out attempt takes as long as it did. A cancellation ends the replay where it did.
 *   <li>Jitter is taken at its mean (FULL: half the delay, EQUAL: three quarters), so that a
 *       replay is repeatable and right on average; a server's Retry-After is not repeated.
 * </ul>
 */
public final class ReplaySimulator {
  private ReplaySimulator() {}

  /** How a replayed item ends. */
  public enum Outcome { SUCCEEDED, DEAD_LETTERED, CANCELLED, UNKNOWN }

  /**
   * @param attempts counted attempts the policy makes (for UNKNOWN: those whose outcome is known)
   * @param endedAt when it succeeded, was dead-lettered or cancelled; null for UNKNOWN
   */
  public record Replayed(Outcome outcome, int attempts, Instant endedAt) {
    /** Time from the enqueue to the end of the successful attempt, or null. */
    public Duration timeToSuccess(RecordedItem item) {
      return outcome == Outcome.SUCCEEDED ? Duration.between(item.enqueuedAt(), endedAt) : null;
    }
  }

  /** The mean of the policy's jitter, as a "random" source that always draws the middle. */
  static final RandomGenerator MEAN = new RandomGenerator() {
    @Override
    public long nextLong() {
      return 0L;
    }

    @Override
    public double nextDouble() {
      return 0.5;
    }
  };

  public static Replayed replay(RecordedItem item, RetryPolicy policy) {
    List<Attempt> attempts = item.attempts();
    Instant cancelledAt = item.outcome() == RecordedItem.Outcome.CANCELLED ? item.endedAt() : null;
    if (item.firstDue() == null) {
      // Never tried: nothing about attempts to replay.
      return switch (item.outcome()) {
        case CANCELLED -> new Replayed(Outcome.CANCELLED, 0, item.endedAt());
        case DEAD_LETTERED -> new Replayed(Outcome.DEAD_LETTERED, 0, item.endedAt());
        default -> new Replayed(Outcome.UNKNOWN, 0, null);
      };
    }
    Attempt success = item.success();
    // How far failures are known, for an item that never succeeded: its last recorded attempt.
    Instant horizon = success == null && !attempts.isEmpty() ? attempts.get(attempts.size() - 1).due() : null;
    Instant t = item.firstDue();
    int n = 0;
    // Each round counts an attempt or moves past a parking, so this ends within maxAttempts + parkings rounds.
    while (true) {
      if (cancelledAt != null && !t.isBefore(cancelledAt)) {
        return new Replayed(Outcome.CANCELLED, n, cancelledAt);
      }
      Parking parked = parkingAt(item.parkings(), t);
      if (parked != null) {
        if (parked.deadLettered()) {
          return new Replayed(Outcome.DEAD_LETTERED, n, parked.to());
        }
        if (parked.to() == null) {
          return new Replayed(Outcome.UNKNOWN, n, null);
        }
        t = parked.to();
        continue;
      }
      if (success != null && !t.isBefore(success.due())) {
        Instant end = t.plus(success.latency()).plus(success.duration());
        return new Replayed(Outcome.SUCCEEDED, n + 1, end);
      }
      if (success == null && (horizon == null || t.isAfter(horizon))) {
        return new Replayed(Outcome.UNKNOWN, n, null);
      }
      Attempt failed = inEffect(attempts, t);
      if (failed == null) {
        // Nothing failed before its success: the first attempt after the parking succeeds.
        t = success.due();
        continue;
      }
      n++;
      Instant end = t.plus(failed.latency()).plus(failed.duration());
      if (failed.kind() == ErrorKind.PERMANENT) {
        return new Replayed(Outcome.DEAD_LETTERED, n, end);
      }
      Optional<Duration> delay = policy.retryDelay(n, failed.kind(), MEAN);
      if (delay.isEmpty()) {
        return new Replayed(Outcome.DEAD_LETTERED, n, end);
      }
      t = end.plus(delay.get());
    }
  }

  private static Parking parkingAt(List<Parking> parkings, Instant t) {
    for (Parking p : parkings) {
      if (p.contains(t)) {
        return p;
      }
    }
    return null;
  }

  /** The last failed attempt due at or before t; the first failed one when t comes before them all; null when none failed. */
  private static Attempt inEffect(List<Attempt> attempts, Instant t) {
    Attempt found = null;
    for (Attempt a : attempts) {
      if (a.succeeded()) {
        continue;
      }
      if (found == null || !a.due().isAfter(t)) {
        found = a;
      } else {
        break;
      }
    }
    return found;
  }
}
