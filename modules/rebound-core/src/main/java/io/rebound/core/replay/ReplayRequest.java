package io.rebound.core.replay;

import io.rebound.api.RetryPolicy;
import java.time.Instant;
import java.util.Objects;

/**
 * A what-if replay of one queue: its items whose index row changed within {@code [from, to]} (they
 * ended, or are still going, in the window), under {@code policy}.
 *
 * @param changeLimit how many of the items whose outcome changes to list (1 to {@link #MAX_CHANGES})
 * @param changesAfter the {@code next} cursor of a previous answer for the same window, or null
 */
public record ReplayRequest(String queue, Instant from, Instant to, RetryPolicy policy, int changeLimit, String changesAfter) {
  public static final int MAX_CHANGES = 1000;
  public static final int DEFAULT_CHANGES = 100;

  public ReplayRequest {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(policy, "policy");
    if (from.isAfter(to)) {
      throw new IllegalArgumentException("the window's start must not be after its end, was " + from + " > " + to);
    }
    if (changeLimit < 1 || changeLimit > MAX_CHANGES) {
      throw new IllegalArgumentException("changeLimit must be between 1 and " + MAX_CHANGES + ", was " + changeLimit);
    }
    if (changesAfter != null && !QueueReplay.isCursor(changesAfter)) {
      throw new IllegalArgumentException("after is not a cursor a replay returned");
    }
  }
}
