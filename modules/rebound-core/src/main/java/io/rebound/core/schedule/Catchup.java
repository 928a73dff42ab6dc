package io.rebound.core.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a schedule does next, from the tick it is done with (its cursor) and the time now: a pure
 * function, so that every case of missed ticks is tested without actors or clocks.
 *
 * <p>The pending ticks are those after the cursor and at or before now. The latest of them is
 * <em>on time</em> when it is no older than the misfire threshold, and always makes its item; every
 * other pending tick is <em>missed</em> (the runner was down, paused, moving to another node, or
 * far behind) and follows the schedule's {@link Missed}. The runner applies one step at a time and
 * asks again, so each step is one event in its journal.
 */
public final class Catchup {
  private Catchup() {}

  /** The next step: nothing to do, skip every tick up to and including {@code to}, or enqueue the item of {@code tick}. */
  public sealed interface Step {}

  public record Idle() implements Step {}

  public record Skip(Instant to) implements Step {}

  public record Fire(Instant tick) implements Step {}

  /**
   * @param cursor ticks at or before it are done (made their item, or were skipped)
   * @param misfire ticks older than this (relative to now) are missed
   * @param runAllMax the most missed ticks {@link Missed#RUN_ALL} enqueues
   */
  public static Step next(Schedule s, Instant cursor, Instant now, Duration misfire, int runAllMax) {
    Instant missedBefore = now.minus(misfire);
    // Walk back from now only as far as the policy can use, so that a week of downtime of a
    // schedule firing every second costs a few steps, not 600,000.
    int missedWanted = s.missed() == Missed.RUN_ALL ? runAllMax + 1 : 2;
    List<Instant> onTime = new ArrayList<>(); // at most one: the latest pending tick
    List<Instant> missed = new ArrayList<>(); // newest first
    Optional<Instant> t = s.lastAtOrBefore(now);
    while (t.isPresent() && t.get().isAfter(cursor) && missed.size() < missedWanted) {
      boolean latest = onTime.isEmpty() && missed.isEmpty();
      (latest && !t.get().isBefore(missedBefore) ? onTime : missed).add(t.get());
      t = s.lastAtOrBefore(t.get().minusNanos(1));
    }
    if (missed.isEmpty()) {
      return onTime.isEmpty() ? new Idle() : new Fire(onTime.get(onTime.size() - 1));
    }
    return switch (s.missed()) {
      case SKIP -> new Skip(missed.get(0));
      case RUN_ONCE -> {
        if (!onTime.isEmpty()) {
          yield new Skip(missed.get(0)); // a tick on time is the one run
        }
        yield missed.size() > 1 ? new Skip(missed.get(1)) : new Fire(missed.get(0));
      }
      case RUN_ALL -> missed.size() > runAllMax ? new Skip(missed.get(runAllMax)) : new Fire(missed.get(missed.size() - 1));
    };
  }
}
