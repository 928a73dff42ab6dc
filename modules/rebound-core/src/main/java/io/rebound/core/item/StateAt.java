package io.rebound.core.item;

import io.rebound.api.RetryPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An item as it was at a point in time: its events up to then, folded by the entity's own
 * {@link ItemEntity.State#apply} so that the past reads exactly as the item saw it.
 */
public final class StateAt {
  private StateAt() {}

  /**
   * The item at {@code at}: its state (empty before it was enqueued) and the steps of its
   * history up to then.
   */
  public record Past(Instant at, Optional<ItemView> item, List<HistoryEntry> events) {}

  /** Folds the events and lists the history up to {@code at}. */
  public static Past past(String id, List<Recorded> events, Instant at, java.util.function.Function<String, RetryPolicy> queuePolicy) {
    List<HistoryEntry> steps = events.stream()
        .map(r -> History.entry(r.sequenceNr(), r.event()))
        .filter(e -> !e.at().isAfter(at))
        .toList();
    return new Past(at, fold(id, events, at, queuePolicy), steps);
  }

  /** An event of the item's journal with its sequence number. */
  public record Recorded(long sequenceNr, ItemEntity.Event event) {}

  /**
   * @param events the item's events, oldest first
   * @param at the point in time; events at or before it count
   * @param queuePolicy the policy of the item's queue, for its max attempts (when it has no policy of its own)
   * @return the item as it was, or empty when it was not enqueued yet
   */
  public static Optional<ItemView> fold(String id, List<Recorded> events, Instant at, java.util.function.Function<String, RetryPolicy> queuePolicy) {
    ItemEntity.State s = ItemEntity.State.empty(id);
    for (Recorded r : events) {
      if (ItemEvents.meaning(r.event()).at().isAfter(at)) {
        break;
      }
      s = s.apply(r.event());
    }
    if (!s.exists()) {
      return Optional.empty();
    }
    RetryPolicy policy = s.policy() != null ? s.policy().toPolicy() : queuePolicy.apply(s.queue());
    return Optional.of(s.view(policy.maxAttempts()));
  }
}
