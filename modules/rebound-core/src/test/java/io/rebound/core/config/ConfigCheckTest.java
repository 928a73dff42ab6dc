package io.rebound.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.Rebound;
import io.rebound.core.handler.Handlers;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigCheckTest {
  private static final ConfigCheck CHECK = Rebound.configCheck(
      new Handlers().with("http", Set.of("url", "timeout", "headers"), c -> null).with("custom", c -> null));

  private static List<String> problems(String hocon) {
    return problems(CHECK, hocon);
  }

  private static List<String> problems(ConfigCheck check, String hocon) {
    Config resolved = Rebound.withDefaults(ConfigFactory.parseString(hocon));
    return check.problems(resolved).stream().map(ConfigProblem::line).toList();
  }

  @Test
  void aMisspelledQueueKeyIsNamedWithTheClosestKnownKey() {
    assertEquals(List.of("rebound.queues.q.concurency: unknown key (did you mean concurrency?)"),
        problems("rebound.queues.q { handler { type = simulated }, concurency = 4 }"));
  }

  @Test
  void aMisspelledNestedRetryKeyIsNamedWithItsFullPath() {
    assertEquals(List.of("rebound.queues.q.retry.max-attemps: unknown key (did you mean max-attempts?)"),
        problems("rebound.queues.q { handler { type = simulated }, retry { max-attemps = 2 } }"));
  }

  @Test
  void anUnknownTopLevelSectionIsAnError() {
    assertEquals(List.of("rebound.queus: unknown key (did you mean queues?)"),
        problems("rebound.queus.q { handler { type = simulated } }"));
  }

  @Test
  void aKeyOfAFeatureThatDoesNotExistListsTheKnownKeysInstead() {
    assertEquals(List.of("rebound.queues.q.throttle: unknown key (known here: attempt-kill-grace, attempt-timeout, concurrency, "
            + "group-concurrency, group-rate-limit, handler, max-park, park-retry, rate-limit, retention, retry, stop-grace, tools)"),
        problems("rebound.queues.q { handler { type = simulated }, throttle = 10 }"));
  }

  @Test
  void a_misspelt_key_inside_a_rate_limit_is_an_error() {
    assertEquals(List.of("rebound.queues.q.rate-limit.per-minute: unknown key (known here: burst, per-second)"),
        problems("rebound.queues.q { handler { type = simulated }, rate-limit { per-minute = 10 } }"));
  }

  @Test
  void everyProblemIsReportedNotOnlyTheFirst() {
    assertEquals(List.of(
            "rebound.max-concurency: unknown key (did you mean max-concurrency?)",
            "rebound.queues.q.concurency: unknown key (did you mean concurrency?)",
            "rebound.queues.q.retry.jiter: unknown key (did you mean jitter?)"),
        problems("""
            rebound.max-concurency = 3
            rebound.queues.q { handler { type = simulated }, concurency = 4, retry.jiter = none }
            """));
  }

  @Test
  void theStartFailsWithTheFirstProblemNamingTheKey() {
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> Rebound.start(ConfigFactory.parseString(
        "rebound.queues.q { handler { type = simulated }, concurency = 4, retry { max-attemps = 2 } }")));
    assertEquals("rebound.queues.q.concurency: unknown key (did you mean concurrency?)", e.getMessage());
    assertEquals("rebound.queues.q.concurency", e.key());
  }

  @Test
  void retryOverridesPerErrorKindNameAKindAndHoldRetryKeys() {
    assertEquals(List.of(
            "rebound.queues.q.retry.on.timeot: unknown error kind (did you mean timeout?)",
            "rebound.queues.q.retry.on.transient.on: unknown key (known here: backoff, initial, jitter, max-attempts, "
                + "max-interval, multiplier, schedule)"),
        problems("""
            rebound.queues.q { handler { type = simulated }
              retry.on { timeout { max-attempts = 2 }, timeot { max-attempts = 2 }, transient { on {} } } }
            """));
  }

  @Test
  void aHandlerBlockHoldsTheKeysOfItsType() {
    assertEquals(List.of(
            "rebound.queues.a.handler.ulr: unknown key (did you mean url?)",
            "rebound.queues.b.handler.url: unknown key (known here: class, type)",
            "rebound.queues.c.handler.type: unknown handler type 'htp' (did you mean http?)"),
        problems("""
            rebound.queues {
              a.handler { type = http, ulr = "http://x", headers { X-Anything = y } }
              b.handler { type = java, class = "x.Y", url = "http://x" }
              c.handler { type = htp }
              d.handler { type = custom, whatever = 1 }
            }
            """));
  }

  @Test
  void aQueueWithoutAHandlerTypeNeedsAHandlerInCode() {
    assertEquals(List.of("rebound.queues.q.handler.type: no handler was passed for queue 'q' and none is configured "
            + "(known types: custom, http, java, simulated)"),
        problems("rebound.queues.q.concurrency = 2"));
    assertEquals(List.of(), problems(CHECK.withHandlersInCode(Set.of("q")), "rebound.queues.q { concurrency = 2, handler.x = 1 }"));
  }

  @Test
  void aHandlerTypeInQueueDefaultsServesEveryQueue() {
    assertEquals(List.of("rebound.queues.q.handler.clas: unknown key (did you mean class?)"),
        problems("rebound { queue-defaults.handler { type = java, class = x.Y }, queues.q.handler.clas = x.Z }"));
  }

  @Test
  void aToolsProbeHoldsTheKeysOfItsProbeType() {
    assertEquals(List.of(
            "rebound.tool-defaults.probe.intervall: unknown key (did you mean interval?)",
            "rebound.tools.a.probe.hots: unknown key (did you mean host?)",
            "rebound.tools.b.probe.type: unknown probe type 'grpc' (known: http, java, simulated, tcp)",
            "rebound.tools.c.breaker.max-failure: unknown key (did you mean max-failures?)"),
        problems("""
            rebound.tool-defaults.probe.intervall = 1s
            rebound.tools {
              a.probe { hots = x, port = 1 }
              b.probe { type = grpc }
              c { probe { type = http, url = "http://x" }, breaker.max-failure = 2 }
            }
            """));
  }

  @Test
  void pekkoKeysAndPekkoDispatcherSectionsAreNotChecked() {
    assertEquals(List.of(), problems("""
        pekko.anything = 1
        rebound.handler-dispatcher.fork-join-executor.parallelism-max = 4
        rebound.queues.q.handler.type = simulated
        """));
  }

  @Test
  void aSectionAnotherModuleAddsToReferenceConfIsKnownAtOnce() {
    Config reference = ConfigFactory.parseString("rebound.wake { interval = 1s, batch = 100 }")
        .withFallback(ConfigFactory.defaultReference()).resolve();
    ConfigCheck check = ConfigCheck.against(reference);
    assertEquals(List.of("rebound.wake.bach: unknown key (did you mean batch?)"),
        check.problems(ConfigFactory.parseString("rebound.wake { interval = 2s, bach = 5 }")).stream().map(ConfigProblem::line).toList());
  }

  @Test
  void queueNamesThatNeedQuotesAreQuotedInThePath() {
    assertEquals(List.of("rebound.queues.\"a.b\".concurency: unknown key (did you mean concurrency?)"),
        problems("rebound.queues.\"a.b\" { handler.type = simulated, concurency = 1 }"));
  }
}
