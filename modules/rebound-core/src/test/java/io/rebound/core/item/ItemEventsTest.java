package io.rebound.core.item;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemEntity.Event;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ItemEventsTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  static Stream<Event> oneOfEach() {
    return Stream.of(
        new ItemEntity.Enqueued("i", "q", "k", "{}", 3, T0, T0.plusSeconds(60), null),
        new ItemEntity.AttemptStarted(1, 1, T0),
        new ItemEntity.Succeeded(1, 1, T0),
        new ItemEntity.AttemptFailed(1, 1, ErrorKind.TRANSIENT, "boom", "trace", T0, T0.plusSeconds(5)),
        new ItemEntity.AttemptFailed(2, 2, ErrorKind.PERMANENT, "bad", "trace", T0, null),
        new ItemEntity.DeadLettered(ErrorKind.PERMANENT, T0),
        new ItemEntity.Parked(0, 0, List.of("db"), "tools down: db", T0, T0.plusSeconds(3600)),
        new ItemEntity.Unparked(T0),
        new ItemEntity.Cancelled("no longer needed", T0),
        new ItemEntity.Redriven(T0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oneOfEach")
  void theStateTheIndexAndTheHistoryReadOneMeaning(Event event) {
    ItemEvents.Meaning m = ItemEvents.meaning(event);
    assertEquals(ItemEvents.statusAfter(event), m.status(), "the quick answer is the same");
    assertEquals(m.status() == null ? null : m.status().name(), m.columns().get("status"), "the index's status column");
    assertEquals(m.at(), m.columns().get("updated_at"), "the index's change time");
    HistoryEntry entry = History.entry(7, event);
    assertEquals(new HistoryEntry(7, m.type(), m.at(), m.attempt(), m.details()), entry, "the history's step");
    assertFalse(m.details().containsValue(null), "the history leaves out what is not there");
  }

  @Test
  void anAttemptFailedWithNoNextAttemptMovesNothingAndLeavesTheRowRunning() {
    ItemEvents.Meaning m = ItemEvents.meaning(new ItemEntity.AttemptFailed(2, 2, ErrorKind.PERMANENT, "bad", null, T0, null));
    assertFalse(m.moves());
    assertFalse(m.columns().containsKey("status"));
    assertEquals("PERMANENT", m.columns().get("last_error_kind"));
    assertNull(m.columns().get("wake_at"), "not due: its dead letter follows");
  }

  @Test
  void aParkingIsDueAtItsUntilAndListsItsToolsWhichTheWaysOutOfParkedClear() {
    ItemEvents.Meaning parked = ItemEvents.meaning(new ItemEntity.Parked(1, 2, List.of("db", "ocr"), "down", T0, T0.plusSeconds(90)));
    assertEquals(T0.plusSeconds(90), parked.columns().get("wake_at"));
    assertEquals(T0.plusSeconds(90), parked.columns().get("next_attempt_at"));
    assertEquals(List.of("db", "ocr"), parked.parkedOn());
    assertEquals(List.of(), ItemEvents.meaning(new ItemEntity.Unparked(T0)).parkedOn());
    assertEquals(List.of(), ItemEvents.meaning(new ItemEntity.Cancelled("x", T0)).parkedOn());
    assertEquals(List.of(), ItemEvents.meaning(new ItemEntity.DeadLettered(ErrorKind.TOOL_UNAVAILABLE, T0)).parkedOn());
    assertNull(ItemEvents.meaning(new ItemEntity.AttemptStarted(1, 1, T0)).parkedOn(), "other events leave the parked rows alone");
  }

  @Test
  void anEnqueuedItemWithADelayIsDueWhenTheDelayEnds() {
    ItemEvents.Meaning m = ItemEvents.meaning(new ItemEntity.Enqueued("i", "q", null, "{}", 0, T0, T0.plusSeconds(60), null));
    assertEquals(T0.plusSeconds(60), m.columns().get("wake_at"));
    assertEquals(T0, ItemEvents.meaning(new ItemEntity.Enqueued("i", "q", null, "{}", 0, T0, null, null)).columns().get("wake_at"));
  }
}
