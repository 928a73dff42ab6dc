package io.rebound.core.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.Rebound;
import io.rebound.core.config.ConfigProblem;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.handler.Handlers;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** rebound.schedules is read strictly: every mistake is an error naming its key. */
class ScheduleSettingsTest {

  private static Config config(String text) {
    return ConfigFactory.parseString(text).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  private static ScheduleSettings read(String schedule) {
    return ScheduleSettings.from(config("rebound.schedules.nightly { " + schedule + " }"), Set.of("reports", "mail"));
  }

  private static String errorKey(String schedule) {
    return assertThrows(ReboundConfigException.class, () -> read(schedule)).key();
  }

  @Test
  void aScheduleTakesTheDefaultsItDoesNotSet() {
    ScheduleSettings s = read("cron = \"0 */5 * * * *\", queue = reports");
    Schedule n = s.schedules().get("nightly");
    assertEquals(ZoneId.of("UTC"), n.zone());
    assertEquals(5, n.priority());
    assertEquals(Missed.RUN_ONCE, n.missed());
    assertEquals("{}", n.payload());
    assertEquals(Duration.ofSeconds(30), s.misfireThreshold());
    assertEquals(100, s.runAllMax());
  }

  @Test
  void thePayloadIsTheConfiguredJson() {
    Schedule n = read("cron = \"0 0 2 * * *\", queue = reports, payload { report = daily, to = [a, b] }, missed = run-all, priority = 7")
        .schedules().get("nightly");
    assertEquals("{\"report\":\"daily\",\"to\":[\"a\",\"b\"]}", n.payload());
    assertEquals(Missed.RUN_ALL, n.missed());
    assertEquals(7, n.priority());
  }

  @Test
  void aBadCronIsAnErrorNamingTheKey() {
    assertEquals("rebound.schedules.nightly.cron", errorKey("cron = \"0 */5 * * *\", queue = reports"));
    assertEquals("rebound.schedules.nightly.cron", errorKey("cron = \"0 70 * * * *\", queue = reports"));
    assertEquals("rebound.schedules.nightly.cron", errorKey("queue = reports"));
  }

  @Test
  void aBadZoneIsAnErrorNamingTheKey() {
    assertEquals("rebound.schedules.nightly.zone", errorKey("cron = \"0 * * * * *\", queue = reports, zone = Mars/Olympus"));
  }

  @Test
  void anUnknownQueueIsAnErrorNamingTheKeyAndTheKnownQueues() {
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> read("cron = \"0 * * * * *\", queue = report"));
    assertEquals("rebound.schedules.nightly.queue", e.key());
    assertTrue(e.getMessage().contains("mail, reports"), e.getMessage());
  }

  @Test
  void aBadMissedPolicyIsAnErrorNamingTheKeyAndTheChoices() {
    ReboundConfigException e = assertThrows(ReboundConfigException.class,
        () -> read("cron = \"0 * * * * *\", queue = reports, missed = catch-up"));
    assertEquals("rebound.schedules.nightly.missed", e.key());
    assertTrue(e.getMessage().contains("run-once, skip, run-all"), e.getMessage());
  }

  @Test
  void aPriorityOutOfRangeIsAnErrorNamingTheKey() {
    assertEquals("rebound.schedules.nightly.priority", errorKey("cron = \"0 * * * * *\", queue = reports, priority = 12"));
  }

  @Test
  void badRunnerSettingsAreErrorsNamingTheKey() {
    ReboundConfigException e = assertThrows(ReboundConfigException.class,
        () -> ScheduleSettings.from(config("rebound.scheduler.run-all-max = 0"), Set.of()));
    assertEquals("rebound.scheduler.run-all-max", e.key());
  }

  @Test
  void theStrictConfigCheckKnowsScheduleKeysAndLeavesThePayloadOpen() {
    Config ok = ConfigFactory.parseString("rebound.schedules.nightly { cron = \"0 0 2 * * *\", zone = UTC, queue = reports,"
        + " payload { anything { goes = 1 } }, priority = 5, missed = skip }\nrebound.scheduler { misfire-threshold = 10s, run-all-max = 5, retry-interval = 1s }");
    assertEquals(List.of(), Rebound.configCheck(new Handlers()).problems(ok));
    List<ConfigProblem> bad = Rebound.configCheck(new Handlers()).problems(ConfigFactory.parseString(
        "rebound.schedules.nightly { crn = \"0 0 2 * * *\", queue = reports }"));
    assertEquals(1, bad.size());
    assertEquals("rebound.schedules.nightly.crn", bad.get(0).key());
    assertTrue(bad.get(0).problem().contains("cron"), bad.get(0).problem());
  }
}
