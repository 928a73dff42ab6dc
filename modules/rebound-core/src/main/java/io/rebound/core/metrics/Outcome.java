package io.rebound.core.metrics;

import io.rebound.core.item.ItemStatus;
import java.util.Locale;

/** What a status change of an item means for the counters ({@code rebound.items{outcome=...}}). */
public enum Outcome {
  /** A new item was accepted (not a redrive, not an unparking). */
  ENQUEUED,
  SUCCEEDED,
  /** An attempt failed and the item will retry (it went to WAITING). */
  FAILED,
  DEAD_LETTERED,
  PARKED,
  CANCELLED;

  /** The tag value: lower case, as Prometheus labels usually are. */
  public String tag() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The outcome a move into {@code status} counts as, or null when it counts as none (RUNNING, unparking, redrive). */
  static Outcome of(ItemStatus status, boolean newItem) {
    return switch (status) {
      case PENDING -> newItem ? ENQUEUED : null;
      case RUNNING -> null;
      case WAITING -> FAILED;
      case PARKED -> PARKED;
      case SUCCEEDED -> SUCCEEDED;
      case DEAD_LETTERED -> DEAD_LETTERED;
      case CANCELLED -> CANCELLED;
    };
  }
}
