package io.rebound.core.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which ticks make items: on time, after downtime, per missed policy, with the run-all cap. */
class CatchupTest {
  private static final Duration MISFIRE = Duration.ofSeconds(30);
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static Schedule everyMinute(Missed missed) {
    return Schedule.builder("s").cron("0 * * * * *").queue("q").missed(missed).build();
  }

  /** Applies steps as the runner does, until idle; answers the ticks fired, in order. */
  private static List<Instant> drive(Schedule s, Instant cursor, Instant now, int runAllMax) {
    List<Instant> fired = new ArrayList<>();
    for (int steps = 0; steps < 10_000; steps++) {
      Catchup.Step step = Catchup.next(s, cursor, now, MISFIRE, runAllMax);
      if (step instanceof Catchup.Idle) {
        return fired;
      }
      if (step instanceof Catchup.Skip skip) {
        assertTrue(skip.to().isAfter(cursor), "a skip moves the cursor forward");
        cursor = skip.to();
      } else if (step instanceof Catchup.Fire fire) {
        assertTrue(fire.tick().isAfter(cursor), "a fire moves the cursor forward");
        fired.add(fire.tick());
        cursor = fire.tick();
      }
    }
    throw new AssertionError("no end of steps");
  }

  private static Instant minute(int m) {
    return T0.plus(Duration.ofMinutes(m));
  }

  @Test
  void nothingIsDueBeforeTheNextTick() {
    assertInstanceOf(Catchup.Idle.class, Catchup.next(everyMinute(Missed.RUN_ONCE), T0, T0.plusSeconds(59), MISFIRE, 100));
  }

  @Test
  void aTickOnTimeFiresWhateverThePolicy() {
    for (Missed m : Missed.values()) {
      assertEquals(List.of(minute(1)), drive(everyMinute(m), T0, minute(1).plusSeconds(3), 100), m.name());
    }
  }

  @Test
  void theCurrentTickLaterThanTheThresholdIsMissed() {
    Instant now = minute(1).plusSeconds(31);
    assertEquals(List.of(), drive(everyMinute(Missed.SKIP), T0, now, 100));
    assertEquals(List.of(minute(1)), drive(everyMinute(Missed.RUN_ONCE), T0, now, 100));
  }

  @Test
  void runOnceAfterDowntimeMakesOneItemForTheLatestMissedTick() {
    assertEquals(List.of(minute(10)), drive(everyMinute(Missed.RUN_ONCE), T0, minute(10).plusSeconds(45), 100));
  }

  @Test
  void runOnceAfterDowntimeWithATickOnTimeMakesOnlyThatOne() {
    assertEquals(List.of(minute(10)), drive(everyMinute(Missed.RUN_ONCE), T0, minute(10).plusSeconds(5), 100));
  }

  @Test
  void skipAfterDowntimeMakesNoItemForTheMissedTicksButRunsTheCurrentOne() {
    assertEquals(List.of(), drive(everyMinute(Missed.SKIP), T0, minute(10).plusSeconds(45), 100));
    assertEquals(List.of(minute(10)), drive(everyMinute(Missed.SKIP), T0, minute(10).plusSeconds(5), 100));
  }

  @Test
  void runAllAfterDowntimeMakesEveryMissedTicksItemOldestFirst() {
    List<Instant> expected = new ArrayList<>();
    for (int m = 1; m <= 10; m++) {
      expected.add(minute(m));
    }
    assertEquals(expected, drive(everyMinute(Missed.RUN_ALL), T0, minute(10).plusSeconds(5), 100));
  }

  @Test
  void runAllIsCappedToTheLatestTicks() {
    assertEquals(List.of(minute(8), minute(9), minute(10)), drive(everyMinute(Missed.RUN_ALL), T0, minute(10).plusSeconds(45), 3));
  }

  @Test
  void aWeekOfDowntimeOfASecondlyScheduleTakesFewSteps() {
    Schedule s = Schedule.builder("s").cron("* * * * * *").queue("q").missed(Missed.RUN_ONCE).build();
    Instant now = T0.plus(Duration.ofDays(7)).plusMillis(500);
    Catchup.Step first = Catchup.next(s, T0, now, MISFIRE, 100);
    assertEquals(new Catchup.Skip(now.minusMillis(500).minusSeconds(1)), first);
    assertEquals(List.of(now.minusMillis(500)), drive(s, T0, now, 100));
  }

  @Test
  void ticksFollowTheZonesWallClock() {
    Schedule s = Schedule.builder("s").cron("0 0 9 * * *").zone("Europe/Berlin").queue("q").build();
    // 09:00 in Berlin in winter is 08:00 UTC; in summer 07:00 UTC.
    assertEquals(Instant.parse("2026-01-02T08:00:00Z"), s.nextAfter(Instant.parse("2026-01-01T12:00:00Z")).orElseThrow());
    assertEquals(Instant.parse("2026-07-02T07:00:00Z"), s.nextAfter(Instant.parse("2026-07-01T12:00:00Z")).orElseThrow());
  }

  @Test
  void aTicksKeyNamesTheScheduleAndTheTick() {
    Schedule s = everyMinute(Missed.RUN_ONCE);
    assertEquals("schedule:s:2026-01-01T00:01:00Z", s.tickKey(minute(1)));
    assertTrue(!s.triggerKey(minute(1)).equals(s.tickKey(minute(1))));
  }
}
