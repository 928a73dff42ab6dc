package io.rebound.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void theMedianOfAnOddCountIsTheMiddleValue() {
    assertEquals(789.0, Stats.median(new double[] {933, 561, 789}));
  }

  @Test
  void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertEquals(2.5, Stats.median(new double[] {4, 1, 3, 2}));
  }

  @Test
  void aRunThatMeasuredNothingDoesNotMoveTheMedian() {
    assertEquals(2.0, Stats.median(new double[] {1, Double.NaN, 3}));
    assertTrue(Double.isNaN(Stats.median(new double[] {Double.NaN})));
  }

  @Test
  void theMedianReadsAFigureFromEachResult() {
    List<RunResult> rs = List.of(result(2062), result(1955), result(2078));

    assertEquals(2062.0, Stats.median(rs, RunResult::itemsPerSec));
  }

  @Test
  void theRatioOfMediansIsReboundOverThePeer() {
    assertEquals(0.38, Stats.ratio(789, 2062), 0.005);
  }

  @Test
  void aRatioWithNothingToDivideByIsNaNNotInfinity() {
    assertTrue(Double.isNaN(Stats.ratio(1, 0)));
    assertTrue(Double.isNaN(Stats.ratio(Double.NaN, 2)));
  }

  @Test
  void aPercentileIsAnObservedValueByNearestRank() {
    double[] sorted = new double[100];
    for (int i = 0; i < 100; i++) {
      sorted[i] = i + 1;
    }

    assertEquals(50.0, Stats.percentile(sorted, 0.50));
    assertEquals(99.0, Stats.percentile(sorted, 0.99));
    assertEquals(100.0, Stats.percentile(sorted, 1.0));
    assertEquals(7.0, Stats.percentile(new double[] {7}, 0.99));
    assertTrue(Double.isNaN(Stats.percentile(new double[0], 0.5)));
  }

  private static RunResult result(double itemsPerSec) {
    return new RunResult("db-scheduler", "W1", 1, 20000, itemsPerSec, 1, 2, 3, 0.9, true);
  }
}
