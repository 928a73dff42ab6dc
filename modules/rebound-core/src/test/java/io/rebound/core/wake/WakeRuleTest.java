package io.rebound.core.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WakeRuleTest {
  private static final WakeRule RULE = new WakeRule(Duration.ofSeconds(10), Duration.ofSeconds(30));
  private static final Instant T = Instant.parse("2026-06-01T12:00:00Z");

  @Test
  void anItemDueBeyondTheHorizonOfItsChangeIsTakenUpAtItsDueTime() {
    assertEquals(T.plusSeconds(11), RULE.wakeAfter(T.plusSeconds(11), T));
  }

  @Test
  void anItemDueWithinTheHorizonStaysInMemoryAndIsTakenUpOnlyAfterSettle() {
    assertEquals(T.plusSeconds(40), RULE.wakeAfter(T, T));
    assertEquals(T.plusSeconds(40), RULE.wakeAfter(T.plusSeconds(10), T));
  }

  @Test
  void aRowWithoutADueTimeIsNeverTakenUp() {
    assertNull(RULE.wakeAfter(null, T));
  }
}
