package io.rebound.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.config.EffectiveSettings.Setting;
import io.rebound.server.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigCommandTest {
  @TempDir Path dir;

  /** Runs the launcher in this JVM: exit code, stdout and stderr (the node's log lines dropped). */
  record Run(int code, String out, String err) {
    static synchronized Run of(String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream oldOut = System.out;
      PrintStream oldErr = System.err;
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      try {
        int code = Main.run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8).lines()
            .filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*") && !l.startsWith("SLF4J")).collect(Collectors.joining("\n")));
      } finally {
        System.setOut(oldOut);
        System.setErr(oldErr);
      }
    }
  }

  private Path file(String hocon) throws Exception {
    return Files.writeString(Files.createTempFile(dir, "node", ".conf"), hocon);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      a misspelled queue key         | rebound.queues.q { handler.type = simulated, concurency = 4 }        | rebound.queues.q.concurency: unknown key (did you mean concurrency?)
      a misspelled nested retry key  | rebound.queues.q { handler.type = simulated, retry.max-attemps = 2 } | rebound.queues.q.retry.max-attemps: unknown key (did you mean max-attempts?)
      an unknown top-level section   | rebound.shedules.nightly { cron = "0 0 * * *" }                       | rebound.shedules: unknown key (did you mean schedules?)
      a key of a feature not there   | rebound.queues.example.dead-letter-queue = other                     | rebound.queues.example.dead-letter-queue: unknown key (known here: attempt-kill-grace, attempt-timeout, concurrency, group-concurrency, group-rate-limit, handler, max-park, park-retry, rate-limit, retention, retry, stop-grace, tools)
      a misspelled http key          | rebound.http.prot = 9090                                             | rebound.http.prot: unknown key (did you mean port?)
      a schedule with a bad cron     | rebound { queues.q.handler.type = simulated, schedules.s { cron = "0 0 * * *", queue = q } }   | rebound.schedules.s.cron: 
      a schedule of an unknown queue | rebound { queues.q.handler.type = simulated, schedules.s { cron = "0 0 * * * *", queue = r } } | rebound.schedules.s.queue: unknown queue 
      """)
  void aStartWithAMistakeFailsWithOneLineNamingTheKey(String mistake, String hocon, String line) throws Exception {
    Run run = Run.of("start", "--config", file(hocon).toString());
    assertEquals(1, run.code(), run.toString());
    assertEquals(1, run.err().lines().count(), run.err());
    assertTrue(run.err().startsWith("rebound: config error: " + line), run.err());
  }

  @Test
  void configCheckNamesABadSchedule() throws Exception {
    Run run = Run.of("config", "check", "--config", file("""
        rebound.queues.q { handler.type = simulated }
        rebound.schedules.s { cron = "0 0 * * * *", queue = q, zone = Mars/Olympus }
        """).toString());
    assertEquals(1, run.code(), run.toString());
    assertEquals(List.of("rebound.schedules.s.zone: 'Mars/Olympus' is not a time zone (e.g. UTC, Europe/Berlin)"), run.out().lines().toList());
  }

  @Test
  void configCheckPrintsEveryProblemOnePerLineAndExitsOne() throws Exception {
    Run run = Run.of("config", "check", "--config", file("""
        rebound.max-concurency = 3
        rebound.queues.q { handler.type = simulated, concurency = 4, retry { max-attemps = 2, multiplier = 0.5 } }
        rebound.metrics.jmx = maybe
        """).toString());
    assertEquals(1, run.code(), run.toString());
    assertEquals(List.of(
        "rebound.max-concurency: unknown key (did you mean max-concurrency?)",
        "rebound.queues.q.concurency: unknown key (did you mean concurrency?)",
        "rebound.queues.q.retry.max-attemps: unknown key (did you mean max-attempts?)"), run.out().lines().limit(3).toList());
    assertTrue(run.out().lines().anyMatch(l -> l.startsWith("rebound.queues.q.retry.multiplier: ")), run.out());
    assertTrue(run.out().lines().anyMatch(l -> l.startsWith("rebound.metrics.jmx: ")), run.out());
  }

  @ParameterizedTest
  @CsvSource({"../../conf/application.conf", "../../conf/cluster-postgres.conf"})
  void theShippedConfigsPassTheCheck(String file) {
    Run run = Run.of("config", "check", "--config", file);
    assertEquals(0, run.code(), run.toString());
    assertTrue(run.out().startsWith("config ok: queues [example]"), run.out());
  }

  @Test
  void configShowTellsWhereEachValueCameFrom() throws Exception {
    Path file = file("""
        rebound {
          queues.example.concurrency = 3
          database.password = "s3cret"
        }
        """);
    Map<String, Setting> settings = NodeConfig.settings(NodeConfig.load(file, Map.of(
            "REBOUND_MAX_CONCURRENCY", "12",
            "CONFIG_FORCE_rebound_queues_example_retry_max__attempts", "2")))
        .stream().collect(Collectors.toMap(Setting::key, s -> s));

    assertEquals(new Setting("rebound.ask-timeout", "\"30s\"", "default"), settings.get("rebound.ask-timeout"));
    assertEquals(new Setting("rebound.queues.example.attempt-timeout", "\"5m\"", "default"),
        settings.get("rebound.queues.example.attempt-timeout"));
    assertEquals(new Setting("rebound.queues.example.concurrency", "3", file + ":2"), settings.get("rebound.queues.example.concurrency"));
    assertEquals(new Setting("rebound.max-concurrency", "\"12\"", "environment variable REBOUND_MAX_CONCURRENCY"),
        settings.get("rebound.max-concurrency"));
    assertEquals(new Setting("rebound.queues.example.retry.max-attempts", "\"2\"",
        "environment variable CONFIG_FORCE_rebound_queues_example_retry_max__attempts"), settings.get("rebound.queues.example.retry.max-attempts"));
    assertTrue(settings.get("rebound.queues.example.handler.type").origin().matches("conf/application\\.conf:\\d+"),
        settings.get("rebound.queues.example.handler.type").toString());
    assertEquals("<set>", settings.get("rebound.database.password").value());
  }

  @Test
  void configShowPrintsOneLinePerSettingWithSecretsMasked() throws Exception {
    Run run = Run.of("config", "show", "--config", file("""
        rebound.http.tls.password = "hunter2"
        rebound.http.auth.tokens = [{ token = "abcdefghijklmnopqrstuvwxyz012345", role = operator }]
        """).toString());
    assertEquals(0, run.code(), run.toString());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("rebound\\.http\\.tls\\.password = <set>  # .*node.*\\.conf:1")), run.out());
    assertTrue(run.out().contains("rebound.http.auth.tokens = [{role = \"operator\", token = <set>}]"), run.out());
    assertTrue(run.out().contains("rebound.queues.example.concurrency = 8  # default"), run.out());
    assertTrue(!run.out().contains("hunter2") && !run.out().contains("abcdefghij"), run.out());
  }
}
