package io.rebound.core.item;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** Where an item is in its life. The allowed moves between them are one table, {@link #ALLOWED}. */
public enum ItemStatus {
  /** Accepted, waiting for a permit (or for its delay to pass). */
  PENDING,
  /** An attempt is in flight. */
  RUNNING,
  /** Backing off after a failed attempt, until its next attempt time. */
  WAITING,
  /** A tool it needs is down; it waits without burning attempts. */
  PARKED,
  SUCCEEDED,
  DEAD_LETTERED,
  CANCELLED;

  /** Every allowed transition; anything not listed is rejected. */
  static final Map<ItemStatus, Set<ItemStatus>> ALLOWED = allowed();

  private static Map<ItemStatus, Set<ItemStatus>> allowed() {
    Map<ItemStatus, Set<ItemStatus>> m = new EnumMap<>(ItemStatus.class);
    m.put(PENDING, EnumSet.of(RUNNING, PARKED, CANCELLED));
    m.put(RUNNING, EnumSet.of(SUCCEEDED, WAITING, PARKED, DEAD_LETTERED, CANCELLED));
    // WAITING -> PARKED: its backoff is over but a tool it needs is down.
    m.put(WAITING, EnumSet.of(RUNNING, PARKED, CANCELLED));
    m.put(PARKED, EnumSet.of(PENDING, DEAD_LETTERED, CANCELLED));
    // Redrive: a person sends a dead letter back after a fix.
    m.put(DEAD_LETTERED, EnumSet.of(PENDING));
    m.put(SUCCEEDED, EnumSet.noneOf(ItemStatus.class));
    m.put(CANCELLED, EnumSet.noneOf(ItemStatus.class));
    return Map.copyOf(m);
  }

  public boolean canMoveTo(ItemStatus target) {
    return ALLOWED.get(this).contains(target);
  }

  public boolean isTerminal() {
    return this == SUCCEEDED || this == DEAD_LETTERED || this == CANCELLED;
  }
}
