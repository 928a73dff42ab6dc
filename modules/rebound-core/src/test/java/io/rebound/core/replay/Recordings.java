package io.rebound.core.replay;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.item.ItemEntity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Writes item journals as an item under a given policy would have: 1 s attempts, no wait for permits. */
final class Recordings {
  static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");
  static final Duration ATTEMPT = Duration.ofSeconds(1);
  /** Recorded under: 5 attempts, 10 s, 20 s, 40 s, 80 s apart. */
  static final RetryPolicy RECORDED = RetryPolicy.builder().maxAttempts(5).initial(Duration.ofSeconds(10))
      .maxInterval(Duration.ofHours(1)).jitter(RetryPolicy.Jitter.NONE).build();

  private final String id;
  private final List<ItemEntity.Event> events = new ArrayList<>();
  private Instant now = T0;
  private int attempts;
  private int executions;
  private Instant due;

  Recordings(String id) {
    this.id = id;
    events.add(new ItemEntity.Enqueued(id, "work", null, "{}", 0, now, null, null));
  }

  /** Fails {@code fails} times with {@code kind} under the recorded policy, then succeeds (if it gets that far). */
  static RecordedItem failThenSucceed(String id, int fails, ErrorKind kind) {
    Recordings r = new Recordings(id);
    for (int i = 0; i < fails; i++) {
      if (!r.fail(kind, ATTEMPT)) {
        return r.item();
      }
    }
    r.succeed();
    return r.item();
  }

  /** Fails until the recorded policy gives up. */
  static RecordedItem exhausted(String id) {
    return failThenSucceed(id, 100, ErrorKind.TRANSIENT);
  }

  /** @return whether a next attempt follows */
  boolean fail(ErrorKind kind, Duration took) {
    start();
    now = now.plus(took);
    var delay = RECORDED.retryDelay(attempts, kind, new Random(1));
    Instant next = delay.map(now::plus).orElse(null);
    events.add(new ItemEntity.AttemptFailed(attempts, executions, kind, "failed", null, now, next));
    if (next == null) {
      events.add(new ItemEntity.DeadLettered(kind, now));
      return false;
    }
    due = next;
    return true;
  }

  void succeed() {
    start();
    now = now.plus(ATTEMPT);
    events.add(new ItemEntity.Succeeded(attempts, executions, now));
  }

  /** An attempt that finds the tool down after a second and parks for {@code parked}. */
  void park(Duration parked, boolean deadLetterAtEnd) {
    toDue();
    executions++;
    events.add(new ItemEntity.AttemptStarted(attempts + 1, executions, now));
    now = now.plus(ATTEMPT);
    events.add(new ItemEntity.Parked(attempts, executions, List.of("db"), "down", now, now.plus(parked)));
    now = now.plus(parked);
    events.add(deadLetterAtEnd ? new ItemEntity.DeadLettered(ErrorKind.TOOL_UNAVAILABLE, now) : new ItemEntity.Unparked(now));
  }

  void cancelAfter(Duration wait) {
    now = now.plus(wait);
    events.add(new ItemEntity.Cancelled("by hand", now));
  }

  void wait(Duration d) {
    now = now.plus(d);
  }

  private void start() {
    toDue();
    attempts++;
    executions++;
    events.add(new ItemEntity.AttemptStarted(attempts, executions, now));
  }

  private void toDue() {
    if (due != null && due.isAfter(now)) {
      now = due;
    }
    due = null;
  }

  List<ItemEntity.Event> events() {
    return List.copyOf(events);
  }

  RecordedItem item() {
    return RecordedItem.of(id, events);
  }
}
