package io.rebound.core.item;

import static io.rebound.core.item.ItemStatus.CANCELLED;
import static io.rebound.core.item.ItemStatus.DEAD_LETTERED;
import static io.rebound.core.item.ItemStatus.PARKED;
import static io.rebound.core.item.ItemStatus.PENDING;
import static io.rebound.core.item.ItemStatus.RUNNING;
import static io.rebound.core.item.ItemStatus.SUCCEEDED;
import static io.rebound.core.item.ItemStatus.WAITING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The table's own rules; that the item keeps to it, and that every move in it is made, is shown by
 * {@link ItemLifePropertyTest}.
 */
class ItemStatusTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static ItemEntity.State enqueued() {
    return ItemEntity.State.empty("i").apply(new ItemEntity.Enqueued("i", "q", null, "{}", 0, T0, null, null));
  }

  @Test
  void aMoveOutsideTheTableFailsLoudlyNamingFromToAndTheEvent() {
    // PENDING -> SUCCEEDED: no attempt ran.
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> enqueued().apply(new ItemEntity.Succeeded(1, 1, T0.plusSeconds(1))));
    assertTrue(e.getMessage().contains("PENDING") && e.getMessage().contains("SUCCEEDED") && e.getMessage().contains("Succeeded"),
        e.getMessage());
  }

  @Test
  void anEnqueuedOfAnItemThatExistsIsRefused() {
    assertThrows(IllegalStateException.class,
        () -> enqueued().apply(new ItemEntity.Enqueued("i", "q", null, "{}", 0, T0.plusSeconds(1), null, null)));
  }

  @Test
  void aJournalOfALastFailedAttemptReplaysThroughRunningToTheDeadLetters() {
    // As written since the first version: the failed attempt (no next one) and its dead letter in one write.
    ItemEntity.State s = enqueued()
        .apply(new ItemEntity.AttemptStarted(1, 1, T0.plusSeconds(1)))
        .apply(new ItemEntity.AttemptFailed(1, 1, ErrorKind.PERMANENT, "bad", null, T0.plusSeconds(2), null));
    assertEquals(RUNNING, s.status(), "a failed attempt with none to follow moves nothing by itself");
    assertEquals(DEAD_LETTERED, s.apply(new ItemEntity.DeadLettered(ErrorKind.PERMANENT, T0.plusSeconds(2))).status());
  }

  @Test
  void aFailedAttemptOutsideRunningIsRefused() {
    assertThrows(IllegalStateException.class,
        () -> enqueued().apply(new ItemEntity.AttemptFailed(1, 1, ErrorKind.PERMANENT, "bad", null, T0.plusSeconds(2), null)));
  }

  @ParameterizedTest(name = "{0} does not move to itself")
  @EnumSource(ItemStatus.class)
  void noStatusMovesToItself(ItemStatus s) {
    assertFalse(s.canMoveTo(s));
  }

  @Test
  void exactlySucceededDeadLetteredAndCancelledAreTerminal() {
    Set<ItemStatus> terminal = Stream.of(ItemStatus.values())
        .filter(ItemStatus::isTerminal)
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(ItemStatus.class)));
    assertEquals(EnumSet.of(SUCCEEDED, DEAD_LETTERED, CANCELLED), terminal);
  }

  @Test
  void onlyARedriveLeavesATerminalStatus() {
    for (ItemStatus s : ItemStatus.values()) {
      if (s.isTerminal()) {
        Set<ItemStatus> out = EnumSet.noneOf(ItemStatus.class);
        for (ItemStatus t : ItemStatus.values()) {
          if (s.canMoveTo(t)) {
            out.add(t);
          }
        }
        assertEquals(s == DEAD_LETTERED ? EnumSet.of(PENDING) : EnumSet.noneOf(ItemStatus.class), out, s.toString());
      }
    }
  }

  @Test
  void everyNonTerminalStatusCanBeCancelled() {
    for (ItemStatus s : ItemStatus.values()) {
      if (!s.isTerminal()) {
        assertEquals(true, s.canMoveTo(CANCELLED), s.toString());
      }
    }
  }
}
