package io.rebound.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.item.ItemIds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rebound run-batch}: an embedded node per run, its data in a temp dir given by --config. */
class RunBatchCommandTest {
  @TempDir Path dir;

  @Test
  void whenEveryItemSucceedsItPrintsTheSummaryAndExitsZero() throws IOException {
    Path items = Files.writeString(dir.resolve("items.jsonl"), """
        {"payload":{"n":1}}
        {"payload":{"fail":1},"key":"retried"}

        {"payload":{"n":3},"priority":9}
        """);
    CliRun r = CliRun.of("run-batch", "--queue", "work", "--file", items.toString(), "--config", config().toString());
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("Running 3 items from " + items + " in queue 'work'"), r.toString());
    assertTrue(r.out().matches("(?s).*\\n3 items finished in [\\d.]+s:\\n  STATUS\\s+ITEMS\\n  SUCCEEDED\\s+3\\nAll 3 items succeeded\\.\\n"),
        r.toString());
  }

  @Test
  void whenAnItemIsDeadLetteredItIsListedWithItsLastErrorAndTheExitCodeIsOne() throws IOException {
    Path items = Files.writeString(dir.resolve("items.jsonl"), """
        {"payload":{"n":1}}
        {"payload":{"fail":1,"kind":"PERMANENT"},"key":"doomed"}
        {"payload":{"n":3}}
        """);
    CliRun r = CliRun.of("run-batch", "--queue", "work", "--file", items.toString(), "--config", config().toString());
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.out().matches("(?s).*\\n  SUCCEEDED\\s+2\\n  DEAD_LETTERED\\s+1\\n.*"), r.toString());
    assertTrue(r.out().contains("1 of 3 items did not succeed:"), r.toString());
    String id = ItemIds.forKey("work", "doomed");
    assertTrue(r.out().matches("(?s).*\\n  2\\s+" + id + "\\s+DEAD_LETTERED\\s+1 of 2\\s+PERMANENT: simulated permanent failure 1 of 1\\n.*"),
        r.toString());
  }

  @Test
  void afterTheTimeoutTheUnfinishedItemsAreListedAndTheExitCodeIsOne() throws IOException {
    Path items = Files.writeString(dir.resolve("items.jsonl"), """
        {"payload":{}}
        {"payload":{"fail":5},"key":"slow","retry":{"initial":"1h"}}
        """);
    CliRun r = CliRun.of("run-batch", "--queue", "work", "--file", items.toString(), "--config", config().toString(), "--timeout", "1s");
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.out().matches("(?s).*\\n  WAITING\\s+1\\n  SUCCEEDED\\s+1\\n.*"), r.toString());
    assertTrue(r.out().matches("(?s).*\\n  2\\s+" + ItemIds.forKey("work", "slow") + "\\s+WAITING\\s+1 of 2\\s+TRANSIENT: .*"), r.toString());
    assertTrue(r.out().contains("Timed out after 1s with 1 item unfinished"), r.toString());

    CliRun bad = CliRun.of("run-batch", "--queue", "work", "--file", items.toString(), "--timeout", "0s");
    assertEquals(2, bad.code(), bad.toString());
    assertEquals("rebound: Invalid value for option '--timeout': must be positive, was '0s' (see --help)", bad.errorLine());
  }

  @Test
  void aMalformedLineIsOneLineNamingItAndNothingRuns() throws IOException {
    Path items = Files.writeString(dir.resolve("items.jsonl"), """
        {"payload":{"n":1}}
        {"payload":{"n":2}}
        {"payload":{"n":3}
        """);
    CliRun r = CliRun.of("run-batch", "--queue", "work", "--file", items.toString(), "--config", config().toString());
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.errorLine().startsWith("rebound: " + items + " line 3: not valid JSON"), r.toString());
    assertEquals("", r.out());
    // Lines are checked before the node starts: no database was even created.
    assertFalse(Files.exists(dir.resolve("data")), r.toString());

    Files.writeString(items, "{\"payload\":{}}\n{\"payload\":{},\"retry\":{\"initial\":\"soon\"}}\n");
    CliRun badField = CliRun.of("run-batch", "--queue", "work", "--file", items.toString(), "--config", config().toString());
    assertEquals(1, badField.code(), badField.toString());
    assertEquals("rebound: " + items + " line 2: retry.initial is not a duration: 'soon' (use e.g. 250ms, 30s, 5m, 1h, 1d)",
        badField.errorLine());
    assertFalse(Files.exists(dir.resolve("data")), badField.toString());
  }

  @Test
  void anUnknownQueueIsOneLineNamingTheQueuesThereAre() throws IOException {
    Path items = Files.writeString(dir.resolve("items.jsonl"), "{\"payload\":{}}\n");
    CliRun r = CliRun.of("run-batch", "--queue", "nope", "--file", items.toString(), "--config", config().toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals("rebound: no queue named 'nope' in the config (queues: example, work)", r.errorLine());
  }

  private Path config() throws IOException {
    return Files.writeString(dir.resolve("batch.conf"), """
        rebound.data-dir = "%s"
        rebound.queues.work { handler.type = simulated, retry { initial = 10ms, max-attempts = 2, jitter = none } }
        """.formatted(dir.resolve("data").toString().replace("\\", "/")));
  }
}
