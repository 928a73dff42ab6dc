package io.rebound.core.wake;

import java.time.Duration;
import java.time.Instant;

/**
 * When the waker should take an open item's index row up ({@code wake_after}), decided when the
 * row is written: an item due beyond the horizon of its last change left memory then, so at its
 * due time; one due within it stayed in memory (waiting for a permit, or on its own timer), so
 * only once its row sat unchanged for {@code settle} (it was deferred, or lost with its node).
 * Stored in the row, this lets the waker read one index range of rows to wake instead of passing
 * over every item that waits in memory on each poll.
 *
 * @param horizon {@code rebound.wake.horizon}
 * @param settle {@code rebound.wake.settle}
 */
public record WakeRule(Duration horizon, Duration settle) {

  /**
   * The row's {@code wake_after}, read by the waker with a bound of now + horizon: the due time
   * of an item that left memory, or {@code changedAt + horizon + settle} for one in memory.
   *
   * @param wakeAt the row's due time, null when the item is not due (then null)
   * @param changedAt the time of the change that set it
   */
  public Instant wakeAfter(Instant wakeAt, Instant changedAt) {
    if (wakeAt == null) {
      return null;
    }
    Instant leftMemoryAfter = changedAt.plus(horizon);
    return wakeAt.isAfter(leftMemoryAfter) ? wakeAt : leftMemoryAfter.plus(settle);
  }
}
