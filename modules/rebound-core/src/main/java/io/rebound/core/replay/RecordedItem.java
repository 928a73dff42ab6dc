package io.rebound.core.replay;

import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemEntity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What an item's journal says about its attempts, in the form the what-if replay needs. Times of
 * attempts are kept as <em>due</em> times (when the attempt could have started) next to when it
 * started, so that time spent waiting for a permit is not mistaken for the cause lasting longer.
 *
 * @param enqueuedAt when it was first enqueued
 * @param firstDue when it was first due to run (its first attempt, or the check before it that parked it)
 * @param attempts its counted attempts, in order (parked attempts are not counted, as in the item)
 * @param parkings the periods it was parked on a tool, in order
 * @param outcome how its journal ends
 * @param endedAt when it reached that end (its success ended, it was dead-lettered or cancelled); null while open
 */
public record RecordedItem(
    String id,
    String queue,
    Instant enqueuedAt,
    Instant firstDue,
    List<Attempt> attempts,
    List<Parking> parkings,
    Outcome outcome,
    Instant endedAt) {

  /** How a recorded item ended. */
  public enum Outcome { SUCCEEDED, DEAD_LETTERED, CANCELLED, OPEN }

  /**
   * One counted attempt.
   *
   * @param due when it was due (the previous failure's next attempt time, the enqueue's not-before...)
   * @param start when it started (after waiting for a permit)
   * @param end when its outcome was recorded (for a timeout: when the timeout expired)
   * @param kind why it failed; null for the successful attempt
   */
  public record Attempt(Instant due, Instant start, Instant end, ErrorKind kind) {
    public boolean succeeded() {
      return kind == null;
    }

    /** Waiting for a permit after it was due. */
    Duration latency() {
      Duration d = Duration.between(due, start);
      return d.isNegative() ? Duration.ZERO : d;
    }

    Duration duration() {
      Duration d = Duration.between(start, end);
      return d.isNegative() ? Duration.ZERO : d;
    }
  }

  /**
   * A period parked on a tool (or on a handler's ToolUnavailableException).
   *
   * @param from when the parked attempt was due
   * @param to when it was released, null while still parked
   * @param deadLettered whether it ended in the dead letters (max-park)
   */
  public record Parking(Instant from, Instant to, boolean deadLettered) {
    boolean contains(Instant t) {
      return !t.isBefore(from) && (to == null || t.isBefore(to));
    }
  }

  public RecordedItem {
    attempts = List.copyOf(attempts);
    parkings = List.copyOf(parkings);
  }

  /** The successful attempt, or null. */
  public Attempt success() {
    for (Attempt a : attempts) {
      if (a.succeeded()) {
        return a;
      }
    }
    return null;
  }

  /** The kind of the last failed attempt, or null when none failed. */
  public ErrorKind lastErrorKind() {
    for (int i = attempts.size() - 1; i >= 0; i--) {
      if (!attempts.get(i).succeeded()) {
        return attempts.get(i).kind();
      }
    }
    return parkings.isEmpty() ? null : ErrorKind.TOOL_UNAVAILABLE;
  }

  /** Time from the enqueue to the end of the successful attempt, or null. */
  public Duration timeToSuccess() {
    return outcome == Outcome.SUCCEEDED && endedAt != null ? Duration.between(enqueuedAt, endedAt) : null;
  }

  /**
   * Reads an item's events, oldest first. A journal without its Enqueued (a purge raced a write)
   * gives null, as the item itself stays unknown then.
   */
  public static RecordedItem of(String id, List<? extends ItemEntity.Event> events) {
    Builder b = new Builder(id);
    for (ItemEntity.Event e : events) {
      b.add(e);
    }
    return b.build();
  }

  private static final class Builder {
    final String id;
    String queue;
    Instant enqueuedAt;
    Instant firstDue;
    Instant dueSince;
    Instant started;
    Instant startedDue;
    Instant parkedFrom;
    final List<Attempt> attempts = new ArrayList<>();
    final List<Parking> parkings = new ArrayList<>();
    Outcome outcome = Outcome.OPEN;
    Instant endedAt;

    Builder(String id) {
      this.id = id;
    }

    void add(ItemEntity.Event event) {
      if (event instanceof ItemEntity.Enqueued e) {
        if (queue != null) {
          // A new life of the id after retention purged the old one: only the new one counts.
          attempts.clear();
          parkings.clear();
          firstDue = null;
          started = null;
          parkedFrom = null;
          outcome = Outcome.OPEN;
          endedAt = null;
        }
        queue = e.queue();
        enqueuedAt = e.at();
        dueSince = e.notBefore() != null && e.notBefore().isAfter(e.at()) ? e.notBefore() : e.at();
        return;
      }
      if (queue == null) {
        return;
      }
      if (event instanceof ItemEntity.AttemptStarted e) {
        unpark(e.at(), false);
        started = e.at();
        startedDue = due(e.at());
        if (firstDue == null) {
          firstDue = startedDue;
        }
      } else if (event instanceof ItemEntity.AttemptFailed e) {
        attempts.add(new Attempt(startedDue != null ? startedDue : e.at(), started != null ? started : e.at(), e.at(), e.kind()));
        started = null;
        dueSince = e.nextAttemptAt();
      } else if (event instanceof ItemEntity.Succeeded e) {
        attempts.add(new Attempt(startedDue != null ? startedDue : e.at(), started != null ? started : e.at(), e.at(), null));
        started = null;
        outcome = Outcome.SUCCEEDED;
        endedAt = e.at();
      } else if (event instanceof ItemEntity.Parked e) {
        // The attempt that found the tool down (if one started) is given back: parked from when it was due.
        Instant from = started != null ? startedDue : due(e.at());
        unpark(e.at(), false);
        if (firstDue == null) {
          firstDue = from;
        }
        parkedFrom = from;
        started = null;
        dueSince = null;
      } else if (event instanceof ItemEntity.Unparked e) {
        unpark(e.at(), false);
        dueSince = e.at();
      } else if (event instanceof ItemEntity.DeadLettered e) {
        unpark(e.at(), true);
        outcome = Outcome.DEAD_LETTERED;
        endedAt = e.at();
      } else if (event instanceof ItemEntity.Cancelled e) {
        unpark(e.at(), false);
        started = null;
        outcome = Outcome.CANCELLED;
        endedAt = e.at();
      } else if (event instanceof ItemEntity.Redriven e) {
        // An operator's act, not the policy's: the replay goes on from where the item stood.
        outcome = Outcome.OPEN;
        endedAt = null;
        dueSince = e.at();
      }
    }

    private Instant due(Instant at) {
      return dueSince != null && dueSince.isBefore(at) ? dueSince : at;
    }

    private void unpark(Instant at, boolean deadLettered) {
      if (parkedFrom != null) {
        parkings.add(new Parking(parkedFrom, at, deadLettered));
        parkedFrom = null;
      }
    }

    RecordedItem build() {
      if (queue == null) {
        return null;
      }
      if (parkedFrom != null) {
        parkings.add(new Parking(parkedFrom, null, false));
      }
      return new RecordedItem(id, queue, enqueuedAt, firstDue, attempts, parkings, outcome, endedAt);
    }
  }
}
