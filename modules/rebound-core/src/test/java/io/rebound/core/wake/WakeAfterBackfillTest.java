package io.rebound.core.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WakeAfterBackfillTest {
  private static List<Boolean> sweeps(boolean... olderMemberMayWrite) {
    WakeAfterBackfill gate = new WakeAfterBackfill();
    List<Boolean> out = new java.util.ArrayList<>();
    for (boolean older : olderMemberMayWrite) {
      out.add(gate.sweep(older));
    }
    return out;
  }

  @Test
  void aWakerOfAClusterOfThisReleaseBackfillsOnceAtItsFirstSweepThenNever() {
    assertEquals(List.of(true, false, false), sweeps(false, false, false));
  }

  @Test
  void aSweepThatFailedToBackfillIsFollowedByOneThatBackfills() {
    WakeAfterBackfill gate = new WakeAfterBackfill();
    assertEquals(true, gate.sweep(false));
    gate.failed(); // its database call failed
    assertEquals(true, gate.sweep(false));
    assertEquals(false, gate.sweep(false));
  }

  @Test
  void whileAnOlderMemberMayWriteEverySweepBackfillsAndOneMoreAfterItLeft() {
    assertEquals(List.of(true, true, true, true, false), sweeps(false, true, true, false, false));
  }
}
