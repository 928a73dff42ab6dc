package io.rebound.core.item;

import io.rebound.core.item.ItemEntity.AttemptFailed;
import io.rebound.core.item.ItemEntity.AttemptStarted;
import io.rebound.core.item.ItemEntity.Cancelled;
import io.rebound.core.item.ItemEntity.DeadLettered;
import io.rebound.core.item.ItemEntity.Enqueued;
import io.rebound.core.item.ItemEntity.Event;
import io.rebound.core.item.ItemEntity.Parked;
import io.rebound.core.item.ItemEntity.Redriven;
import io.rebound.core.item.ItemEntity.Succeeded;
import io.rebound.core.item.ItemEntity.Unparked;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What each event of an item means, worked out in this one place: the status it moves the item
 * to, the columns of the index row it sets, and the step of history it shows. The item's state
 * ({@link ItemEntity.State#apply}), the index ({@code IndexUpdates}) and the history ({@link
 * History}) all read it from here, so they cannot disagree.
 */
public final class ItemEvents {
  private ItemEvents() {}

  /**
   * @param type the history's name of the event, e.g. {@code attempt-failed}
   * @param at when it happened
   * @param status the status it moves the item to, or null when it moves none (an attempt that
   *     failed with no next attempt: the DeadLettered written with it makes the move)
   * @param attempt the attempt it concerns, or null for steps that are not about an attempt
   * @param details the rest of the event, for the history (nulls left out)
   * @param columns the index columns it sets, in the order they are folded (times as {@link
   *     Instant}s, text as the item has it: the index converts and shortens)
   * @param parkedOn the tools the item is parked on after it (empty: on none any more), or null when
   *     the event does not change them
   */
  public record Meaning(
      String type, Instant at, ItemStatus status, Integer attempt, Map<String, Object> details, Map<String, Object> columns,
      List<String> parkedOn) {

    public boolean moves() {
      return status != null;
    }

    public HistoryEntry entry(long sequenceNr) {
      return new HistoryEntry(sequenceNr, type, at, attempt, details);
    }
  }

  /** The meaning of one event. */
  public static Meaning meaning(Event event) {
    Map<String, Object> d = new LinkedHashMap<>();
    Map<String, Object> c = new LinkedHashMap<>();
    if (event instanceof Enqueued e) {
      put(d, "queue", e.queue());
      put(d, "key", e.key());
      put(d, "priority", e.priority());
      put(d, "notBefore", e.notBefore());
      put(d, "ownPolicy", e.policy() != null ? e.policy().toPolicy().toString() : null);
      put(d, "traceparent", e.traceparent());
      c.put("queue", e.queue());
      c.put("item_key", e.key());
      status(c, ItemStatus.PENDING, e.at());
      c.put("priority", e.priority());
      c.put("attempts", 0);
      c.put("next_attempt_at", e.notBefore());
      c.put("last_error_kind", null);
      c.put("last_error", null);
      c.put("created_at", e.at());
      c.put("wake_at", e.notBefore() != null ? e.notBefore() : e.at());
      return meaning("enqueued", e.at(), ItemStatus.PENDING, null, d, c, null);
    } else if (event instanceof AttemptStarted e) {
      put(d, "execution", e.execution());
      status(c, ItemStatus.RUNNING, e.at());
      c.put("attempts", e.attempt());
      c.put("next_attempt_at", null);
      return meaning("attempt-started", e.at(), ItemStatus.RUNNING, e.attempt(), d, c, null);
    } else if (event instanceof Succeeded e) {
      put(d, "execution", e.execution());
      status(c, ItemStatus.SUCCEEDED, e.at());
      return meaning("succeeded", e.at(), ItemStatus.SUCCEEDED, e.attempt(), d, c, null);
    } else if (event instanceof AttemptFailed e) {
      put(d, "execution", e.execution());
      put(d, "kind", e.kind());
      put(d, "message", e.message());
      put(d, "stackTrace", e.stackTrace());
      put(d, "nextAttemptAt", e.nextAttemptAt());
      ItemStatus next = statusAfter(e);
      status(c, next, e.at());
      c.put("attempts", e.attempt());
      c.put("next_attempt_at", e.nextAttemptAt());
      c.put("wake_at", e.nextAttemptAt());
      c.put("last_error_kind", e.kind().name());
      c.put("last_error", e.message());
      return meaning("attempt-failed", e.at(), next, e.attempt(), d, c, null);
    } else if (event instanceof DeadLettered e) {
      put(d, "kind", e.kind());
      status(c, ItemStatus.DEAD_LETTERED, e.at());
      c.put("last_error_kind", e.kind().name());
      // A way out of PARKED.
      return meaning("dead-lettered", e.at(), ItemStatus.DEAD_LETTERED, null, d, c, List.of());
    } else if (event instanceof Parked e) {
      if (e.execution() > 0) {
        put(d, "execution", e.execution());
      }
      put(d, "tools", e.tools());
      put(d, "message", e.message());
      put(d, "until", e.until());
      status(c, ItemStatus.PARKED, e.at());
      c.put("attempts", e.attempts());
      c.put("next_attempt_at", e.until());
      c.put("wake_at", e.until());
      c.put("last_error_kind", "TOOL_UNAVAILABLE");
      c.put("last_error", e.message());
      return meaning("parked", e.at(), ItemStatus.PARKED, null, d, c, List.copyOf(e.tools()));
    } else if (event instanceof Unparked e) {
      status(c, ItemStatus.PENDING, e.at());
      c.put("wake_at", e.at());
      return meaning("unparked", e.at(), ItemStatus.PENDING, null, d, c, List.of());
    } else if (event instanceof Cancelled e) {
      put(d, "reason", e.reason());
      status(c, ItemStatus.CANCELLED, e.at());
      return meaning("cancelled", e.at(), ItemStatus.CANCELLED, null, d, c, List.of());
    } else if (event instanceof Redriven e) {
      status(c, ItemStatus.PENDING, e.at());
      c.put("wake_at", e.at());
      c.put("attempts", 0);
      return meaning("redriven", e.at(), ItemStatus.PENDING, null, d, c, null);
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  /**
   * The status the event moves the item to, or null when it moves none: what {@link #meaning}
   * says, without building the rest (the state asks it for every event it applies).
   */
  public static ItemStatus statusAfter(Event event) {
    if (event instanceof Enqueued || event instanceof Unparked || event instanceof Redriven) {
      return ItemStatus.PENDING;
    } else if (event instanceof AttemptStarted) {
      return ItemStatus.RUNNING;
    } else if (event instanceof Succeeded) {
      return ItemStatus.SUCCEEDED;
    } else if (event instanceof AttemptFailed e) {
      // Without a next attempt it stays RUNNING: a DeadLettered event follows in the same write.
      return e.nextAttemptAt() == null ? null : ItemStatus.WAITING;
    } else if (event instanceof DeadLettered) {
      return ItemStatus.DEAD_LETTERED;
    } else if (event instanceof Parked) {
      return ItemStatus.PARKED;
    } else if (event instanceof Cancelled) {
      return ItemStatus.CANCELLED;
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  /**
   * The columns every event sets: its status (unless it moves none), its time, and no due time
   * (an event that sets one puts it after this); only open items are due, the waker reads wake_at.
   */
  private static void status(Map<String, Object> c, ItemStatus status, Instant at) {
    if (status != null) {
      c.put("status", status.name());
    }
    c.put("updated_at", at);
    c.put("next_attempt_at", null);
    c.put("wake_at", null);
  }

  private static Meaning meaning(String type, Instant at, ItemStatus status, Integer attempt, Map<String, Object> details,
      Map<String, Object> columns, List<String> parkedOn) {
    return new Meaning(type, at, status, attempt, Collections.unmodifiableMap(details), Collections.unmodifiableMap(columns), parkedOn);
  }

  private static void put(Map<String, Object> d, String k, Object v) {
    if (v != null) {
      d.put(k, v);
    }
  }
}
