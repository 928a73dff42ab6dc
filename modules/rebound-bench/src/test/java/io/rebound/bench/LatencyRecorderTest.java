package io.rebound.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyRecorderTest {

  @Test
  void anItemThatFinishesBeforeItsStartIsRecordedStillCounts() {
    LatencyRecorder r = new LatencyRecorder();
    r.finished("a", 5_000_000);
    r.started("a", 1_000_000);

    assertArrayEquals(new double[] {4.0}, r.sortedMillis());
  }

  @Test
  void latenciesComeSortedAndOnlyForItemsBothStartedAndFinished() {
    LatencyRecorder r = new LatencyRecorder();
    r.started("slow", 0);
    r.started("fast", 0);
    r.started("never", 0);
    r.finished("slow", 9_000_000);
    r.finished("fast", 2_000_000);

    assertArrayEquals(new double[] {2.0, 9.0}, r.sortedMillis());
    assertEquals(2, r.finishedCount());
  }

  @Test
  void aSecondCompletionOfTheSameItemKeepsTheFirst() {
    LatencyRecorder r = new LatencyRecorder();
    r.started("a", 0);
    r.finished("a", 1_000_000);
    r.finished("a", 8_000_000);

    assertArrayEquals(new double[] {1.0}, r.sortedMillis());
  }
}
