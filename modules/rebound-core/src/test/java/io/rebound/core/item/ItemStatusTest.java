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

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ItemStatusTest {

  /** The expected transition table, written out independently of the one in ItemStatus. */
  private static final Map<ItemStatus, Set<ItemStatus>> EXPECTED = Map.of(
      PENDING, EnumSet.of(RUNNING, PARKED, CANCELLED),
      RUNNING, EnumSet.of(SUCCEEDED, WAITING, PARKED, DEAD_LETTERED, CANCELLED),
      WAITING, EnumSet.of(RUNNING, PARKED, CANCELLED),
      PARKED, EnumSet.of(PENDING, DEAD_LETTERED, CANCELLED),
      DEAD_LETTERED, EnumSet.of(PENDING),
      SUCCEEDED, EnumSet.noneOf(ItemStatus.class),
      CANCELLED, EnumSet.noneOf(ItemStatus.class));

  static Stream<Arguments> everyPair() {
    List<Arguments> pairs = new ArrayList<>();
    for (ItemStatus from : ItemStatus.values()) {
      for (ItemStatus to : ItemStatus.values()) {
        pairs.add(Arguments.of(from, to, EXPECTED.get(from).contains(to)));
      }
    }
    return pairs.stream();
  }

  @Test
  void theTableCoversAllFortyNinePairs() {
    assertEquals(7, ItemStatus.values().length);
    assertEquals(EnumSet.allOf(ItemStatus.class), EXPECTED.keySet());
    assertEquals(49, everyPair().count());
  }

  @ParameterizedTest(name = "{0} -> {1} allowed: {2}")
  @MethodSource("everyPair")
  void eachMoveIsAllowedExactlyWhenTheTableSaysSo(ItemStatus from, ItemStatus to, boolean allowed) {
    assertEquals(allowed, from.canMoveTo(to), from + " -> " + to);
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
