package io.rebound.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RatePacerTest {

  @Test
  void itemsAreDueEvenlySpacedFromTheStart() {
    RatePacer pacer = new RatePacer(1_000, 500);

    assertEquals(1_000, pacer.dueNanos(0));
    assertEquals(1_000 + 2_000_000, pacer.dueNanos(1));
    assertEquals(1_000 + 1_000_000_000, pacer.dueNanos(500));
  }

  @Test
  void dueTimesDoNotDriftOverALongRunWithAnUnevenInterval() {
    RatePacer pacer = new RatePacer(0, 3); // 333,333,333.3 ns apart

    assertEquals(TimeUnit.SECONDS.toNanos(60), pacer.dueNanos(180));
  }

  @Test
  void aRunSendsTheItemsDueBeforeItsEnd() {
    assertEquals(30_000, new RatePacer(0, 500).itemsWithin(TimeUnit.SECONDS.toNanos(60)));
    assertEquals(2_000, new RatePacer(0, 200).itemsWithin(TimeUnit.SECONDS.toNanos(10)));
  }

  @Test
  void waitingForATurnReturnsNoEarlierThanItsDueTime() {
    long start = System.nanoTime();
    RatePacer pacer = new RatePacer(start, 100);

    long due = pacer.awaitTurn(3);

    assertEquals(start + 30_000_000, due);
    assertTrue(System.nanoTime() >= due);
  }

  @Test
  void aLateProducerIsNotMadeToWaitForTurnsAlreadyPast() {
    RatePacer pacer = new RatePacer(System.nanoTime() - TimeUnit.SECONDS.toNanos(10), 1);
    long before = System.nanoTime();

    pacer.awaitTurn(5);

    assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(1));
  }

  @Test
  void aRateOfZeroIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new RatePacer(0, 0));
  }
}
