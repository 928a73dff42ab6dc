package io.rebound.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Retention periods per queue and the node's retention job settings: values, builders, parsing. */
class RetentionSettingsTest {
  private static final Config REFERENCE = ConfigFactory.defaultReference();

  private static ReboundSettings settings(String hocon) {
    return ReboundSettings.from(ConfigFactory.parseString("rebound { data-dir = \"./data\", database.url = \"\" }\n" + hocon)
        .withFallback(REFERENCE).resolve());
  }

  private static ReboundConfigException rejected(String hocon) {
    return assertThrows(ReboundConfigException.class, () -> settings(hocon));
  }

  // ---- the values ----

  @Test
  void theDefaultsKeepSucceededAndCancelledItemsSevenDaysAndDeadLettersThirty() {
    RetentionPeriods r = RetentionPeriods.defaults();

    assertEquals(Duration.ofDays(7), r.succeeded());
    assertEquals(Duration.ofDays(30), r.deadLettered());
    assertEquals(Duration.ofDays(7), r.cancelled());
    assertEquals(r, QueueSettings.builder("q").build().retention());
  }

  @ParameterizedTest(name = "retention {0} is rejected")
  @ValueSource(strings = {"PT0S", "PT-1S", "P36501D"})
  void aPeriodThatIsNotPositiveOrAboveAHundredYearsIsRejectedForEveryStatus(String value) {
    Duration d = Duration.parse(value);
    RetentionPeriods.Builder b = RetentionPeriods.builder();
    IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> b.succeeded(d));
    IllegalArgumentException dl = assertThrows(IllegalArgumentException.class, () -> b.deadLettered(d));
    IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> b.cancelled(d));
    assertTrue(s.getMessage().contains("succeeded"), s.getMessage());
    assertTrue(dl.getMessage().contains("dead-lettered"), dl.getMessage());
    assertTrue(c.getMessage().contains("cancelled"), c.getMessage());
  }

  @Test
  void aMissingPeriodIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> RetentionPeriods.builder().succeeded(null));
    assertThrows(NullPointerException.class, () -> QueueSettings.builder("q").retention(null));
  }

  @Test
  void theShortestAndLongestPeriodsAreAccepted() {
    RetentionPeriods r = RetentionPeriods.builder().succeeded(Duration.ofMillis(1)).cancelled(Duration.ofDays(36_500)).build();

    assertEquals(Duration.ofMillis(1), r.succeeded());
    assertEquals(Duration.ofDays(36_500), r.cancelled());
  }

  @Test
  void queueSettingsToBuilderKeepsTheRetention() {
    RetentionPeriods r = RetentionPeriods.builder().deadLettered(Duration.ofDays(90)).build();
    QueueSettings q = QueueSettings.builder("q").retention(r).build();

    assertEquals(r, q.toBuilder().concurrency(3).build().retention());
    assertEquals(r, r.toBuilder().build());
  }

  @ParameterizedTest(name = "interval {0}, batch size {1} is rejected")
  @CsvSource({"PT0S, 500", "PT-1H, 500", "P31D, 500", "PT1H, 0", "PT1H, -1", "PT1H, 100001"})
  void jobSettingsOutsideTheirBoundsAreRejected(String interval, int batchSize) {
    assertThrows(IllegalArgumentException.class,
        () -> new RetentionSettings(true, Duration.parse(interval), batchSize, RetentionPeriods.defaults()));
  }

  // ---- parsing ----

  @Test
  void theReferenceConfigEnablesAnHourlyJobWithTheDocumentedDefaults() {
    ReboundSettings s = settings("rebound.queues.q {}");

    assertEquals(RetentionSettings.defaults(), s.retention());
    assertEquals(RetentionPeriods.defaults(), s.queues().get("q").retention());
  }

  @Test
  void aQueueSettingOnePeriodKeepsTheDefaultsForTheOthers() {
    ReboundSettings s = settings("rebound.queues.q.retention.dead-lettered = 90d");

    RetentionPeriods r = s.queues().get("q").retention();
    assertEquals(Duration.ofDays(90), r.deadLettered());
    assertEquals(Duration.ofDays(7), r.succeeded());
    assertEquals(Duration.ofDays(7), r.cancelled());
  }

  @Test
  void queueDefaultsApplyToEveryQueueAndToQueuesNoLongerConfigured() {
    ReboundSettings s = settings("""
        rebound.queue-defaults.retention { succeeded = 1d, cancelled = 2h }
        rebound.queues { a {}, b.retention.succeeded = 3d }
        """);

    assertEquals(Duration.ofDays(1), s.queues().get("a").retention().succeeded());
    assertEquals(Duration.ofHours(2), s.queues().get("a").retention().cancelled());
    assertEquals(Duration.ofDays(3), s.queues().get("b").retention().succeeded());
    assertEquals(Duration.ofHours(2), s.queues().get("b").retention().cancelled());
    assertEquals(Duration.ofDays(1), s.retention().defaultPeriods().succeeded());
    assertEquals(Duration.ofDays(30), s.retention().defaultPeriods().deadLettered());
  }

  @Test
  void theJobSettingsAreRead() {
    RetentionSettings r = settings("rebound.retention { enabled = off, interval = 10m, batch-size = 20 }").retention();

    assertFalse(r.enabled());
    assertEquals(Duration.ofMinutes(10), r.interval());
    assertEquals(20, r.batchSize());
  }

  @ParameterizedTest(name = "{0} fails naming {1}")
  @CsvSource(delimiter = '|', value = {
    "rebound.queues.q.retention.succeeded = 0s           | rebound.queues.q.retention.succeeded",
    "rebound.queues.q.retention.dead-lettered = -1d      | rebound.queues.q.retention.dead-lettered",
    "rebound.queues.q.retention.cancelled = soon         | rebound.queues.q.retention.cancelled",
    "rebound.queues.q.retention = 7d                     | rebound.queues.q.retention",
    "rebound.queue-defaults.retention.succeeded = 0s     | rebound.queue-defaults.retention.succeeded",
    "rebound.retention.enabled = sometimes               | rebound.retention.enabled",
    "rebound.retention.interval = 0s                     | rebound.retention.interval",
    "rebound.retention.interval = hourly                 | rebound.retention.interval",
    "rebound.retention.batch-size = 0                    | rebound.retention.batch-size",
    "rebound.retention.batch-size = many                 | rebound.retention.batch-size",
  })
  void aBadRetentionValueFailsNamingItsKey(String hocon, String key) {
    ReboundConfigException e = rejected(hocon + "\nrebound.queues.q {}");

    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
  }
}
