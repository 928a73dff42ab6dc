package io.rebound.core.replay;

import static io.rebound.core.replay.Recordings.RECORDED;
import static io.rebound.core.replay.Recordings.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import io.rebound.core.item.StateAt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An item's state at a point in time, folded from its events by the entity's own event handler. */
class StateAtTest {
  private static List<StateAt.Recorded> numbered(List<ItemEntity.Event> events) {
    List<StateAt.Recorded> out = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      out.add(new StateAt.Recorded(i + 1, events.get(i)));
    }
    return out;
  }

  @Test
  void the_item_reads_as_it_was_between_its_attempts_and_at_its_end() {
    Recordings rec = new Recordings("x");
    rec.fail(ErrorKind.TRANSIENT, Duration.ofSeconds(1));
    rec.fail(ErrorKind.TIMEOUT, Duration.ofSeconds(1));
    rec.succeed();
    List<StateAt.Recorded> events = numbered(rec.events());

    // Attempt 1 failed at 1 s; attempt 2 was due at 11 s.
    StateAt.Past waiting = StateAt.past("x", events, T0.plusSeconds(5), q -> RECORDED);
    ItemView v = waiting.item().orElseThrow();
    assertEquals(ItemStatus.WAITING, v.status());
    assertEquals(1, v.attempts());
    assertEquals(5, v.maxAttempts());
    assertEquals(T0.plusSeconds(11), v.nextAttemptAt());
    assertEquals(ErrorKind.TRANSIENT, v.lastError().kind());
    assertEquals(List.of("enqueued", "attempt-started", "attempt-failed"), waiting.events().stream().map(e -> e.type()).toList());

    // Attempt 2 started at 11 s and timed out at 12 s.
    assertEquals(ItemStatus.RUNNING, StateAt.fold("x", events, T0.plusMillis(11_500), q -> RECORDED).orElseThrow().status());
    ItemView end = StateAt.fold("x", events, T0.plusSeconds(3600), q -> RECORDED).orElseThrow();
    assertEquals(ItemStatus.SUCCEEDED, end.status());
    assertEquals(3, end.attempts());
  }

  @Test
  void before_its_enqueue_the_item_did_not_exist() {
    List<StateAt.Recorded> events = numbered(new Recordings("y").events());
    StateAt.Past before = StateAt.past("y", events, T0.minusSeconds(1), q -> RECORDED);
    assertTrue(before.item().isEmpty());
    assertTrue(before.events().isEmpty());
    assertEquals(ItemStatus.PENDING, StateAt.fold("y", events, T0, q -> RECORDED).orElseThrow().status());
  }
}
