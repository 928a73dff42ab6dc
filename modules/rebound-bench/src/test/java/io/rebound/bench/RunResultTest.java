package io.rebound.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RunResultTest {

  @Test
  void aResultLineReadsBackAsTheResultItWasPrintedFrom() {
    RunResult r = new RunResult("db-scheduler+immediate", "W3", 2, 30000, 500.0, 1.84, 139.89, 155.89, 6.32, true);

    assertEquals(r, RunResult.parse(r.line()).orElseThrow());
  }

  @Test
  void aFigureARunCouldNotMeasureTravelsAsNaN() {
    RunResult r = new RunResult("rebound", "W1", 1, 200, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 2.5, false);

    RunResult back = RunResult.parse(r.line()).orElseThrow();

    assertTrue(Double.isNaN(back.itemsPerSec()));
    assertEquals(false, back.ok());
  }

  @Test
  void aChildsOtherOutputIsNotAResult() {
    assertTrue(RunResult.parse("W1 items=200 items/s=812 p50=12.1ms").isEmpty());
    assertTrue(RunResult.parse("").isEmpty());
    assertTrue(RunResult.parse(null).isEmpty());
  }

  @Test
  void aResultLineWithAFigureMissingIsRejectedRatherThanGuessed() {
    assertThrows(IllegalArgumentException.class, () -> RunResult.parse("RESULT system=rebound workload=W1 run=1 items=200 ok=true"));
  }
}
