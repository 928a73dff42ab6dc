package io.rebound.core.item;

import io.rebound.core.item.ItemEntity.AttemptFailed;
import io.rebound.core.item.ItemEntity.AttemptStarted;
import io.rebound.core.item.ItemEntity.Cancelled;
import io.rebound.core.item.ItemEntity.DeadLettered;
import io.rebound.core.item.ItemEntity.Enqueued;
import io.rebound.core.item.ItemEntity.Parked;
import io.rebound.core.item.ItemEntity.Redriven;
import io.rebound.core.item.ItemEntity.Succeeded;
import io.rebound.core.item.ItemEntity.Unparked;
import java.util.LinkedHashMap;
import java.util.Map;

/** Turns the events of an item's journal into the steps its history shows. */
public final class History {
  private History() {}

  public static HistoryEntry entry(long sequenceNr, ItemEntity.Event event) {
    Map<String, Object> d = new LinkedHashMap<>();
    if (event instanceof Enqueued e) {
      put(d, "queue", e.queue());
      put(d, "key", e.key());
      put(d, "priority", e.priority());
      put(d, "notBefore", e.notBefore());
      put(d, "ownPolicy", e.policy() != null ? e.policy().toPolicy().toString() : null);
      put(d, "traceparent", e.traceparent());
      return new HistoryEntry(sequenceNr, "enqueued", e.at(), null, d);
    } else if (event instanceof AttemptStarted e) {
      put(d, "execution", e.execution());
      return new HistoryEntry(sequenceNr, "attempt-started", e.at(), e.attempt(), d);
    } else if (event instanceof Succeeded e) {
      put(d, "execution", e.execution());
      return new HistoryEntry(sequenceNr, "succeeded", e.at(), e.attempt(), d);
    } else if (event instanceof AttemptFailed e) {
      put(d, "execution", e.execution());
      put(d, "kind", e.kind());
      put(d, "message", e.message());
      put(d, "stackTrace", e.stackTrace());
      put(d, "nextAttemptAt", e.nextAttemptAt());
      return new HistoryEntry(sequenceNr, "attempt-failed", e.at(), e.attempt(), d);
    } else if (event instanceof DeadLettered e) {
      put(d, "kind", e.kind());
      return new HistoryEntry(sequenceNr, "dead-lettered", e.at(), null, d);
    } else if (event instanceof Parked e) {
      if (e.execution() > 0) {
        put(d, "execution", e.execution());
      }
      put(d, "tools", e.tools());
      put(d, "message", e.message());
      put(d, "until", e.until());
      return new HistoryEntry(sequenceNr, "parked", e.at(), null, d);
    } else if (event instanceof Unparked e) {
      return new HistoryEntry(sequenceNr, "unparked", e.at(), null, d);
    } else if (event instanceof Cancelled e) {
      put(d, "reason", e.reason());
      return new HistoryEntry(sequenceNr, "cancelled", e.at(), null, d);
    } else if (event instanceof Redriven e) {
      return new HistoryEntry(sequenceNr, "redriven", e.at(), null, d);
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  private static void put(Map<String, Object> d, String k, Object v) {
    if (v != null) {
      d.put(k, v);
    }
  }
}
