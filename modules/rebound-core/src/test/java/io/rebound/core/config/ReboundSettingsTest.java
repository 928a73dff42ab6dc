package io.rebound.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ReboundSettingsTest {

  /** Loaded once: it reads every reference.conf on the classpath. */
  private static final Config REFERENCE = ConfigFactory.defaultReference();

  /** The contract from the docs, with {@code %s} for the retry block's extra lines. */
  private static final String CONTRACT = """
      rebound {
        data-dir = "./data"
        database.url = ""
        queues {
          q {
            handler { type = simulated }
            concurrency = 8
            attempt-timeout = 5m
            retry {
              max-attempts = 5
              backoff = exponential
              initial = 1s
              multiplier = 2.0
              max-interval = 1h
              schedule = [1m, 5m, 15m, 1h]
              jitter = full
              %s
            }
          }
        }
      }
      """;

  private static ReboundSettings settings(String hocon) {
    return ReboundSettings.from(config(hocon));
  }

  private static Config config(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(REFERENCE).resolve();
  }

  /** Settings with one queue {@code q} whose body is the given HOCON. */
  private static ReboundSettings queue(String body) {
    return settings("rebound { data-dir = \"./data\", database.url = \"\", queues { q { " + body + " } } }");
  }

  private static RetryPolicy retryOf(String retryBody) {
    return queue("retry { " + retryBody + " }").queues().get("q").retryPolicy();
  }

  private static ReboundConfigException rejected(String hocon) {
    return assertThrows(ReboundConfigException.class, () -> settings(hocon));
  }

  private static void assertNamesKey(String expectedKey, ReboundConfigException e) {
    assertEquals(expectedKey, e.key(), () -> "key of: " + e.getMessage());
    assertTrue(e.getMessage().startsWith(expectedKey + ": "), () -> "message should start with the key: " + e.getMessage());
  }

  // ---- the contract ----

  @Test
  void theDocumentedContractParsesIntoTheQueueSettingsAndRetryPolicy() {
    ReboundSettings s = settings(CONTRACT.formatted(""));

    assertEquals(Set.of("q"), s.queues().keySet());
    QueueSettings q = s.queues().get("q");
    assertEquals("q", q.name());
    assertEquals(8, q.concurrency());
    assertEquals(Duration.ofMinutes(5), q.attemptTimeout());
    assertEquals(Duration.ofSeconds(30), q.parkRetry());

    RetryPolicy p = q.retryPolicy();
    assertEquals(5, p.maxAttempts());
    assertEquals(RetryPolicy.Backoff.EXPONENTIAL, p.backoff());
    assertEquals(Duration.ofSeconds(1), p.initial());
    assertEquals(2.0, p.multiplier());
    assertEquals(Duration.ofHours(1), p.maxInterval());
    assertEquals(RetryPolicy.Jitter.FULL, p.jitter());
    assertTrue(p.overrides().isEmpty());
    assertEquals(RetryPolicy.defaults(), p);

    assertEquals(Set.of("q"), s.handlers().keySet());
    assertEquals("simulated", s.handlers().get("q").getString("type"));
    assertEquals(Path.of("./data").toAbsolutePath().normalize(), s.dataDir());
  }

  @Test
  void exponentialBackoffReadsItsInitialMultiplierAndCap() {
    RetryPolicy p = retryOf("backoff = exponential, initial = 250ms, multiplier = 3.5, max-interval = 10m, max-attempts = 9");

    assertEquals(RetryPolicy.Backoff.EXPONENTIAL, p.backoff());
    assertEquals(Duration.ofMillis(250), p.initial());
    assertEquals(3.5, p.multiplier());
    assertEquals(Duration.ofMinutes(10), p.maxInterval());
    assertEquals(9, p.maxAttempts());
  }

  @Test
  void scheduleBackoffReadsTheScheduleDurations() {
    RetryPolicy p = retryOf("backoff = schedule, schedule = [1m, 5m, 15m, 1h]");

    assertEquals(RetryPolicy.Backoff.SCHEDULE, p.backoff());
    assertEquals(
        List.of(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1)),
        p.schedule());
  }

  @Test
  void scheduleBackoffReadsACustomSchedule() {
    RetryPolicy p = retryOf("backoff = schedule, schedule = [10s, 2m]");

    assertEquals(RetryPolicy.Backoff.SCHEDULE, p.backoff());
    assertEquals(List.of(Duration.ofSeconds(10), Duration.ofMinutes(2)), p.schedule());
  }

  @ParameterizedTest(name = "backoff = {0} is {1}")
  @CsvSource({"exponential, EXPONENTIAL", "EXPONENTIAL, EXPONENTIAL", "Schedule, SCHEDULE", "SCHEDULE, SCHEDULE"})
  void backoffIsReadCaseInsensitively(String written, RetryPolicy.Backoff expected) {
    assertEquals(expected, retryOf("backoff = " + written).backoff());
  }

  @ParameterizedTest(name = "jitter = {0} is {1}")
  @CsvSource({
    "none, NONE", "NONE, NONE", "None, NONE",
    "full, FULL", "FULL, FULL", "Full, FULL",
    "equal, EQUAL", "EQUAL, EQUAL", "eQuAl, EQUAL"
  })
  void jitterIsReadCaseInsensitively(String written, RetryPolicy.Jitter expected) {
    assertEquals(expected, retryOf("jitter = " + written).jitter());
  }

  @Test
  void queueLevelValuesOtherThanTheDefaultsAreRead() {
    QueueSettings q = queue("concurrency = 3, attempt-timeout = 90s, park-retry = 2m").queues().get("q");

    assertEquals(3, q.concurrency());
    assertEquals(Duration.ofSeconds(90), q.attemptTimeout());
    assertEquals(Duration.ofMinutes(2), q.parkRetry());
  }

  @Test
  void topLevelValuesAreRead() {
    ReboundSettings s = settings(
        "rebound { data-dir = \"/tmp/rebound-x\", database.url = \"\", max-concurrency = 12, shutdown-timeout = 7s, ask-timeout = 3s }");

    assertEquals(Path.of("/tmp/rebound-x"), s.dataDir());
    assertEquals(12, s.maxConcurrency());
    assertEquals(Duration.ofSeconds(7), s.shutdownTimeout());
    assertEquals(Duration.ofSeconds(3), s.askTimeout());
    assertTrue(s.queues().isEmpty());
    assertTrue(s.handlers().isEmpty());
  }

  // ---- defaults ----

  @Test
  void aQueueThatSetsNothingGetsTheQueueDefaults() {
    ReboundSettings s = queue("");

    QueueSettings q = s.queues().get("q");
    assertEquals(8, q.concurrency());
    assertEquals(Duration.ofMinutes(5), q.attemptTimeout());
    assertEquals(Duration.ofSeconds(30), q.parkRetry());

    RetryPolicy p = q.retryPolicy();
    assertEquals(5, p.maxAttempts());
    assertEquals(RetryPolicy.Backoff.EXPONENTIAL, p.backoff());
    assertEquals(Duration.ofSeconds(1), p.initial());
    assertEquals(2.0, p.multiplier());
    assertEquals(Duration.ofHours(1), p.maxInterval());
    assertEquals(RetryPolicy.Jitter.FULL, p.jitter());
    assertTrue(p.overrides().isEmpty());
    assertEquals(RetryPolicy.defaults(), p);

    assertTrue(s.handlers().get("q").isEmpty(), "no handler configured means an empty handler block");
  }

  @Test
  void theReferenceTopLevelDefaultsApplyWhenNothingIsSet() {
    assumeTrue(System.getenv("REBOUND_MAX_CONCURRENCY") == null, "REBOUND_MAX_CONCURRENCY is set");
    assumeTrue(System.getenv("REBOUND_SHUTDOWN_TIMEOUT") == null, "REBOUND_SHUTDOWN_TIMEOUT is set");
    ReboundSettings s = settings("rebound { data-dir = \"./data\", database.url = \"\" }");

    assertEquals(64, s.maxConcurrency());
    assertEquals(Duration.ofSeconds(30), s.shutdownTimeout());
    assertEquals(Duration.ofSeconds(30), s.askTimeout());
    assertTrue(s.queues().isEmpty());
  }

  @Test
  void queueDefaultsSetByTheUserApplyToEveryQueue() {
    ReboundSettings s = settings("""
        rebound {
          data-dir = "./data"
          queue-defaults { concurrency = 2, retry { max-attempts = 9 } }
          queues { a {}, b { concurrency = 4 } }
        }
        """);

    assertEquals(2, s.queues().get("a").concurrency());
    assertEquals(9, s.queues().get("a").retryPolicy().maxAttempts());
    assertEquals(4, s.queues().get("b").concurrency());
    assertEquals(9, s.queues().get("b").retryPolicy().maxAttempts());
  }

  // ---- per error kind overrides ----

  @Test
  void anOnTimeoutBlockCreatesATimeoutOverrideInheritingTheQueuesOtherRetryFields() {
    RetryPolicy p = retryOf(
        "max-attempts = 7, initial = 2s, multiplier = 3.0, max-interval = 10m, jitter = equal, on.timeout { max-attempts = 2 }");

    assertEquals(7, p.maxAttempts(), "the queue's own policy keeps its max-attempts");
    assertEquals(Set.of(ErrorKind.TIMEOUT), p.overrides().keySet());
    RetryPolicy timeout = p.overrides().get(ErrorKind.TIMEOUT);
    assertEquals(2, timeout.maxAttempts());
    assertEquals(RetryPolicy.Backoff.EXPONENTIAL, timeout.backoff());
    assertEquals(Duration.ofSeconds(2), timeout.initial());
    assertEquals(3.0, timeout.multiplier());
    assertEquals(Duration.ofMinutes(10), timeout.maxInterval());
    assertEquals(RetryPolicy.Jitter.EQUAL, timeout.jitter());
    assertTrue(timeout.overrides().isEmpty(), "an override has no overrides of its own");
  }

  @Test
  void anOverrideInheritsAScheduleBackoff() {
    RetryPolicy p = retryOf("backoff = schedule, schedule = [10s, 20s], on { orphaned { max-attempts = 3 } }");

    RetryPolicy orphaned = p.overrides().get(ErrorKind.ORPHANED);
    assertEquals(3, orphaned.maxAttempts());
    assertEquals(RetryPolicy.Backoff.SCHEDULE, orphaned.backoff());
    assertEquals(List.of(Duration.ofSeconds(10), Duration.ofSeconds(20)), orphaned.schedule());
  }

  @Test
  void overridesForSeveralKindsAreAllRead() {
    RetryPolicy p = retryOf("on { transient { max-attempts = 10 }, timeout { jitter = none }, orphaned { initial = 5s } }");

    assertEquals(Set.of(ErrorKind.TRANSIENT, ErrorKind.TIMEOUT, ErrorKind.ORPHANED), p.overrides().keySet());
    assertEquals(10, p.overrides().get(ErrorKind.TRANSIENT).maxAttempts());
    assertEquals(RetryPolicy.Jitter.NONE, p.overrides().get(ErrorKind.TIMEOUT).jitter());
    assertEquals(5, p.overrides().get(ErrorKind.TIMEOUT).maxAttempts());
    assertEquals(Duration.ofSeconds(5), p.overrides().get(ErrorKind.ORPHANED).initial());
  }

  // ---- bad values ----

  static Stream<Arguments> badQueueValues() {
    return Stream.of(
        Arguments.of("concurrency = 0", "rebound.queues.q.concurrency"),
        Arguments.of("concurrency = 10001", "rebound.queues.q.concurrency"),
        Arguments.of("concurrency = \"lots\"", "rebound.queues.q.concurrency"),
        Arguments.of("attempt-timeout = 0s", "rebound.queues.q.attempt-timeout"),
        Arguments.of("attempt-timeout = -1s", "rebound.queues.q.attempt-timeout"),
        Arguments.of("attempt-timeout = 8d", "rebound.queues.q.attempt-timeout"),
        Arguments.of("attempt-timeout = soon", "rebound.queues.q.attempt-timeout"),
        Arguments.of("park-retry = 0s", "rebound.queues.q.park-retry"),
        Arguments.of("park-retry = 2d", "rebound.queues.q.park-retry"),
        Arguments.of("retry.max-attempts = 0", "rebound.queues.q.retry.max-attempts"),
        Arguments.of("retry.max-attempts = 10001", "rebound.queues.q.retry.max-attempts"),
        Arguments.of("retry.max-attempts = many", "rebound.queues.q.retry.max-attempts"),
        Arguments.of("retry.multiplier = 0.5", "rebound.queues.q.retry.multiplier"),
        Arguments.of("retry.multiplier = 101", "rebound.queues.q.retry.multiplier"),
        Arguments.of("retry.multiplier = big", "rebound.queues.q.retry.multiplier"),
        Arguments.of("retry.initial = -1s", "rebound.queues.q.retry.initial"),
        Arguments.of("retry.initial = 366d", "rebound.queues.q.retry.initial"),
        Arguments.of("retry { initial = 2h, max-interval = 1h }", "rebound.queues.q.retry.max-interval"),
        Arguments.of("retry.max-interval = forever", "rebound.queues.q.retry.max-interval"),
        Arguments.of("retry.backoff = linear", "rebound.queues.q.retry.backoff"),
        Arguments.of("retry.jitter = some", "rebound.queues.q.retry.jitter"),
        Arguments.of("retry { backoff = schedule, schedule = [] }", "rebound.queues.q.retry.schedule"),
        Arguments.of("retry { backoff = schedule, schedule = [1m, -5m] }", "rebound.queues.q.retry.schedule"),
        Arguments.of("retry { backoff = schedule, schedule = [1m, soon] }", "rebound.queues.q.retry.schedule"),
        Arguments.of("retry { backoff = schedule, schedule = \"1m\" }", "rebound.queues.q.retry.schedule"),
        Arguments.of("retry.on.permanent { max-attempts = 2 }", "rebound.queues.q.retry.on.permanent"),
        Arguments.of("retry.on.tool-unavailable { max-attempts = 2 }", "rebound.queues.q.retry.on.tool-unavailable"),
        Arguments.of("retry.on.sometimes { max-attempts = 2 }", "rebound.queues.q.retry.on.sometimes"),
        Arguments.of("retry.on.timeout { multiplier = 0.5 }", "rebound.queues.q.retry.on.timeout.multiplier"),
        Arguments.of("retry.on.timeout { initial = 2h }", "rebound.queues.q.retry.on.timeout.max-interval"),
        Arguments.of("retry.on.timeout { max-attempts = 0 }", "rebound.queues.q.retry.on.timeout.max-attempts"),
        Arguments.of("retry.on.timeout { backoff = linear }", "rebound.queues.q.retry.on.timeout.backoff"));
  }

  @ParameterizedTest(name = "{0} is rejected naming {1}")
  @MethodSource("badQueueValues")
  void aBadQueueValueFailsNamingTheExactKey(String body, String expectedKey) {
    ReboundConfigException e = rejected(
        "rebound { data-dir = \"./data\", database.url = \"\", queues { q { " + body + " } } }");
    assertNamesKey(expectedKey, e);
  }

  @Test
  void anEmptyScheduleIsRejectedEvenWhenBackoffIsExponential() {
    // The reference says the schedule is used only with backoff = schedule; an empty list is
    // still a bad value that should be reported.
    ReboundConfigException e = rejected(
        "rebound { data-dir = \"./data\", queues { q { retry { schedule = [] } } } }");
    assertNamesKey("rebound.queues.q.retry.schedule", e);
  }

  @Test
  void anOverrideThatIsNotABlockFailsNamingItsKey() {
    // on { timeout = 2 } (meant as max-attempts) is a likely mistake.
    ReboundConfigException e = rejected(
        "rebound { data-dir = \"./data\", queues { q { retry { on { timeout = 2 } } } } }");
    assertNamesKey("rebound.queues.q.retry.on.timeout", e);
  }

  @Test
  void aRetryThatIsNotABlockFailsNamingItsKey() {
    ReboundConfigException e = rejected(
        "rebound { data-dir = \"./data\", queues { q { retry = 3 } } }");
    assertNamesKey("rebound.queues.q.retry", e);
  }

  @Test
  void aHandlerThatIsNotABlockFailsNamingItsKey() {
    // handler = simulated instead of handler { type = simulated } is a likely mistake.
    ReboundConfigException e = rejected(
        "rebound { data-dir = \"./data\", queues { q { handler = simulated } } }");
    assertNamesKey("rebound.queues.q.handler", e);
  }

  @Test
  void aQueueThatIsNotABlockFailsNamingTheQueue() {
    ReboundConfigException e = rejected("rebound { data-dir = \"./data\", queues { q = 3 } }");
    assertNamesKey("rebound.queues.q", e);
  }

  @ParameterizedTest(name = "max-concurrency = {0} is rejected")
  @CsvSource({"0", "-1", "many"})
  void aBadMaxConcurrencyFailsNamingIt(String value) {
    ReboundConfigException e = rejected("rebound { data-dir = \"./data\", max-concurrency = " + value + " }");
    assertNamesKey("rebound.max-concurrency", e);
  }

  @Test
  void aBadShutdownTimeoutFailsNamingIt() {
    ReboundConfigException e = rejected("rebound { data-dir = \"./data\", shutdown-timeout = whenever }");
    assertNamesKey("rebound.shutdown-timeout", e);
  }

  @Test
  void anInvalidQueueNameFailsNamingTheQueue() {
    ReboundConfigException e = rejected("rebound { data-dir = \"./data\", queues { \"bad name!\" { } } }");
    assertNamesKey("rebound.queues.bad name!", e);
    assertTrue(e.getMessage().contains("bad name!"), e.getMessage());
  }

  @ParameterizedTest(name = "queue name \"{0}\" is rejected")
  @CsvSource({"'-leading-dash'", "'.leading-dot'", "'has/slash'"})
  void otherInvalidQueueNamesAreRejected(String name) {
    ReboundConfigException e = rejected("rebound { data-dir = \"./data\", queues { \"" + name + "\" { } } }");
    assertEquals("rebound.queues." + name, e.key());
  }

  @Test
  void theFirstBadQueueIsReportedByItsOwnName() {
    ReboundConfigException e = rejected(
        "rebound { data-dir = \"./data\", queues { good { }, worse { concurrency = 0 } } }");
    assertNamesKey("rebound.queues.worse.concurrency", e);
  }

  // ---- queue names ----

  @Test
  void aQuotedQueueNameWithADotIsOneQueue() {
    ReboundSettings s = settings(
        "rebound { data-dir = \"./data\", queues { \"a.b\" { concurrency = 3, handler { type = simulated } } } }");

    assertEquals(Set.of("a.b"), s.queues().keySet());
    assertEquals("a.b", s.queues().get("a.b").name());
    assertEquals(3, s.queues().get("a.b").concurrency());
    assertEquals(Set.of("a.b"), s.handlers().keySet());
    assertEquals("simulated", s.handlers().get("a.b").getString("type"));
  }

  @Test
  void severalQueuesAreReadEachWithItsOwnValues() {
    ReboundSettings s = settings(
        "rebound { data-dir = \"./data\", queues { orders { concurrency = 1 }, emails { concurrency = 20 } } }");

    assertEquals(Set.of("orders", "emails"), s.queues().keySet());
    assertEquals(1, s.queues().get("orders").concurrency());
    assertEquals(20, s.queues().get("emails").concurrency());
  }

  // ---- database URL ----

  @Test
  void anEmptyDatabaseUrlMeansAnH2FileUnderTheAbsoluteDataDir() {
    ReboundSettings s = settings("rebound { data-dir = \"./some/../data\", database.url = \"\" }");

    Path dataDir = Path.of("data").toAbsolutePath().normalize();
    assertEquals(dataDir, s.dataDir());
    assertTrue(s.dataDir().isAbsolute());
    String url = s.effectiveDatabaseUrl();
    assertTrue(url.startsWith("jdbc:h2:file:" + dataDir.resolve("rebound") + ";"), url);
    assertTrue(url.contains(";DATABASE_TO_UPPER=false"), url);
    assertFalse(url.contains(".."), url);
  }

  @Test
  void aBlankDatabaseUrlAlsoMeansTheH2File() {
    ReboundSettings s = settings("rebound { data-dir = \"/var/lib/rebound\", database.url = \"  \" }");

    assertTrue(s.effectiveDatabaseUrl().startsWith("jdbc:h2:file:" + Path.of("/var/lib/rebound/rebound") + ";"),
        s.effectiveDatabaseUrl());
  }

  @Test
  void aConfiguredDatabaseUrlIsUsedAsIs() {
    String configured = "jdbc:postgresql://db.example:5432/rebound";
    ReboundSettings s = settings("rebound { data-dir = \"./data\", database.url = \"" + configured + "\" }");

    assertEquals(configured, s.databaseUrl());
    assertEquals(configured, s.effectiveDatabaseUrl());
  }

  @Test
  void theH2FileKeepsJournalPayloadsUpTo8KiBInItsRowsRatherThanInItsLobStore(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    ReboundSettings s = settings("rebound { data-dir = \"" + dir + "\" }");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(s.effectiveDatabaseUrl(), "sa", "");
        java.sql.ResultSet rs = c.createStatement().executeQuery(
            "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'MAX_LENGTH_INPLACE_LOB'")) {
      assertTrue(rs.next());
      // H2's default is 256 bytes: an attempt's error made the event a separate LOB (W2: about 5% of its throughput).
      assertEquals("8192", rs.getString(1));
    }
  }
}
