package io.rebound.core.wake;

import io.rebound.core.item.ItemEntity.WakeOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The waker's bookkeeping for one queue, without actors or a database, so that its decisions can
 * be tested alone: which due rows to wake next, how many may wait for a permit at once, which
 * rows the index still shows due only because it lags, and when to read the index again.
 *
 * <p>A scan reads the queue's due rows from a cursor in priority order, so each row is read once
 * per scan; a new scan starts from the best row every poll interval (new, better work may have
 * become due). Rows woken recently are skipped until the index shows their change or {@code
 * recentFor} passes.
 */
final class WakeBook {
  private final int batch;
  private final Duration recentFor;
  private final Deque<DueItems.Row> buffer = new ArrayDeque<>();
  /** Woken, waiting for the item's answer: id to when it was (last) woken. */
  private final Map<String, Instant> outstanding = new LinkedHashMap<>();
  /** Woken and answered: skipped while the index may still show them due. */
  private final Map<String, Instant> recent = new HashMap<>();
  private DueItems.Cursor cursor = DueItems.Cursor.START;
  private boolean exhausted;
  private boolean reading;
  private Instant deferredUntil = Instant.MIN;
  /** Which scan a read belongs to: rows of a scan restarted meanwhile are dropped. */
  private int scan;

  WakeBook(int batch, Duration recentFor) {
    this.batch = batch;
    this.recentFor = recentFor;
  }

  /** A new scan from the best due row. */
  void restart(Instant now) {
    scan++;
    cursor = DueItems.Cursor.START;
    buffer.clear();
    exhausted = false;
    recent.values().removeIf(at -> !at.plus(recentFor).isAfter(now));
  }

  /** Whether to read more rows now: free places, nothing buffered, not at the end of this scan. */
  boolean wantsRows(Instant now) {
    return !reading && !exhausted && buffer.isEmpty() && free() > 0 && !now.isBefore(deferredUntil);
  }

  DueItems.Cursor cursor() {
    return cursor;
  }

  /** A read starts; pass what this returns to {@link #rows}. */
  int reading() {
    reading = true;
    return scan;
  }

  /** The rows a read returned; fewer than asked for means the scan reached the end. */
  void rows(int ofScan, List<DueItems.Row> rows, int asked) {
    reading = false;
    if (ofScan != scan) {
      // A new scan started from the best row while this read was out: it reads again.
      return;
    }
    buffer.addAll(rows);
    if (!rows.isEmpty()) {
      cursor = rows.get(rows.size() - 1).cursor();
    }
    if (rows.size() < asked) {
      exhausted = true;
    }
  }

  void readFailed() {
    reading = false;
  }

  /** The ids to wake now, in order, as many as there are free places; they become outstanding. */
  List<String> next(Instant now) {
    List<String> out = new ArrayList<>();
    if (now.isBefore(deferredUntil)) {
      return out;
    }
    while (free() > 0 && !buffer.isEmpty()) {
      String id = buffer.poll().id();
      if (outstanding.containsKey(id) || recent.containsKey(id)) {
        continue;
      }
      outstanding.put(id, now);
      out.add(id);
    }
    return out;
  }

  /**
   * The item's answer. A deferred item (its node has enough of this queue waiting) may be woken
   * again, but not before {@code pause} passes: the queue is full for now.
   */
  void answered(String id, WakeOutcome outcome, Instant now, Duration pause) {
    if (outstanding.remove(id) == null) {
      return;
    }
    if (outcome == WakeOutcome.DEFERRED) {
      recent.remove(id);
      deferredUntil = now.plus(pause);
    } else {
      recent.put(id, now);
    }
  }

  /** Outstanding wakes with no answer for {@code after}: to be sent again (the item may have stopped). */
  List<String> unanswered(Instant now, Duration after) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Instant> e : outstanding.entrySet()) {
      if (!e.getValue().plus(after).isAfter(now)) {
        out.add(e.getKey());
        e.setValue(now);
      }
    }
    return out;
  }

  int free() {
    return batch - outstanding.size();
  }

  int outstanding() {
    return outstanding.size();
  }
}
