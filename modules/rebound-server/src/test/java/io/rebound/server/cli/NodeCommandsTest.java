package io.rebound.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.item.ItemIds;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import io.rebound.server.node.NodeServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands that talk to a node, against one real node over HTTP. */
class NodeCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;

  private static NodeServer node;
  private static String url;

  @BeforeAll
  static void startNode() {
    node = NodeServer.start(ConfigFactory.parseString("""
        rebound.data-dir = "%s"
        rebound.http.port = 0
        pekko.management.http.port = 0
        pekko.coordinated-shutdown.exit-jvm = off
        rebound.queues.work { handler.type = simulated, retry { initial = 10ms, max-attempts = 2, jitter = none } }
        # Nothing listens on port 1: the tool is down.
        rebound.tools.db { probe { type = tcp, host = "127.0.0.1", port = 1, interval = 100ms, timeout = 200ms } }
        """.formatted(dir.resolve("data").toString().replace("\\", "/"))));
    url = node.url();
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  // ---- enqueue ----------------------------------------------------------------------------

  @Test
  void enqueuePrintsTheNewItemsIdAndThatItWasCreated() {
    CliRun r = cli("enqueue", "work", "--payload", "{\"n\":1}", "--key", "enqueue-1", "--priority", "7");
    assertEquals(0, r.code(), r.toString());
    String id = ItemIds.forKey("work", "enqueue-1");
    assertTrue(r.out().matches("(?s)ID\\s+STATUS\\s+RESULT\\n" + id + "\\s+\\w+\\s+created\\n"), r.toString());
    assertEquals(7, waitFor(id, ItemStatus.SUCCEEDED).priority());
  }

  @Test
  void enqueueSendsThePayloadAsTypedWithItsBigNumbersAndKeyOrder() throws IOException {
    String payload = "{\"amount\":12345678901234567.89,\"z\":1,\"a\":2}";
    assertEquals(0, cli("enqueue", "work", "--payload", payload, "--key", "raw-1").code());
    assertEquals(payload, status(ItemIds.forKey("work", "raw-1")).orElseThrow().payload());

    Path file = dir.resolve("raw.jsonl");
    Files.writeString(file, "{\"key\":\"raw-2\",\"payload\": [12345678901234567.89, {\"b\":1,\"b\":2}]}\n");
    assertEquals(0, cli("enqueue", "work", "--file", file.toString()).code());
    assertEquals("[12345678901234567.89, {\"b\":1,\"b\":2}]", status(ItemIds.forKey("work", "raw-2")).orElseThrow().payload());
  }

  @Test
  void enqueue_with_a_group_stores_it_and_status_shows_it_also_for_file_lines_without_their_own() throws IOException {
    assertEquals(0, cli("enqueue", "work", "--payload", "{}", "--key", "grouped-1", "--group", "customer-42").code());
    String id = ItemIds.forKey("work", "grouped-1");
    assertEquals("customer-42", status(id).orElseThrow().group());
    CliRun shown = cli("status", id);
    assertTrue(shown.out().matches("(?s).*group\\s+customer-42.*"), shown.toString());

    Path file = Files.writeString(dir.resolve("grouped.jsonl"), """
        {"payload":{},"key":"grouped-2"}
        {"payload":{},"key":"grouped-3","group":"own"}
        """);
    assertEquals(0, cli("enqueue", "work", "--file", file.toString(), "--group", "default-tenant").code());
    assertEquals("default-tenant", status(ItemIds.forKey("work", "grouped-2")).orElseThrow().group());
    assertEquals("own", status(ItemIds.forKey("work", "grouped-3")).orElseThrow().group());
  }

  @Test
  void enqueueingAnExistingKeyAgainShowsExisting() {
    assertEquals(0, cli("enqueue", "work", "--payload", "{}", "--key", "twice").code());
    CliRun again = cli("enqueue", "work", "--payload", "{}", "--key", "twice");
    assertEquals(0, again.code(), again.toString());
    assertTrue(again.out().contains(ItemIds.forKey("work", "twice")), again.toString());
    assertTrue(again.out().contains("existing"), again.toString());
    assertFalse(again.out().contains("created"), again.toString());
  }

  @Test
  void enqueueFromAFileSendsEveryLineInBatchesAndShowsEachLinesItem() throws IOException {
    assertEquals(0, cli("enqueue", "work", "--payload", "{}", "--key", "file-old").code());
    Path file = Files.writeString(dir.resolve("items.jsonl"), """
        {"payload":{"n":1},"key":"file-1"}

        {"payload":{"n":2},"key":"file-2","priority":9}
        {"payload":{"n":3},"key":"file-old"}
        {"payload":{"n":4}}
        """);
    CliRun r = cli("enqueue", "work", "--file", file.toString(), "--batch-size", "2", "--delay", "1s");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("LINE"), r.toString());
    assertTrue(r.out().matches("(?s).*\\n1\\s+" + ItemIds.forKey("work", "file-1") + "\\s+PENDING\\s+created\\n.*"), r.toString());
    assertTrue(r.out().matches("(?s).*\\n3\\s+" + ItemIds.forKey("work", "file-2") + "\\s+PENDING\\s+created\\n.*"), r.toString());
    assertTrue(r.out().matches("(?s).*\\n4\\s+" + ItemIds.forKey("work", "file-old") + "\\s+\\w+\\s+existing\\n.*"), r.toString());
    assertTrue(r.out().matches("(?s).*\\n5\\s+\\S+\\s+PENDING\\s+created\\n.*"), r.toString());
    assertTrue(r.out().endsWith("4 items: 3 created, 1 existing\n"), r.toString());
    // The options are defaults for lines without the field.
    assertEquals(9, waitFor(ItemIds.forKey("work", "file-2"), ItemStatus.SUCCEEDED).priority());
  }

  @Test
  void aBadLineInTheFileNamesTheLineAndNothingIsEnqueued() throws IOException {
    Path file = Files.writeString(dir.resolve("bad.jsonl"), """
        {"payload":{},"key":"bad-file-1"}
        {"payload":{},"key":"bad-file-2","priority":12}
        """);
    CliRun r = cli("enqueue", "work", "--file", file.toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals("rebound: " + file + " line 2: priority must be between 0 and 9, was 12", r.errorLine());
    assertTrue(status(ItemIds.forKey("work", "bad-file-1")).isEmpty());

    CliRun badOption = cli("enqueue", "work", "--file", file.toString(), "--delay", "soon");
    assertEquals(1, badOption.code(), badOption.toString());
    assertEquals("rebound: invalid option: delay is not a duration: 'soon' (use e.g. 250ms, 30s, 5m, 1h, 1d)", badOption.errorLine());

    Files.writeString(file, "{\"payload\":{}}\n{\"payload\": oops}\n");
    CliRun malformed = cli("enqueue", "work", "--file", file.toString());
    assertEquals(1, malformed.code(), malformed.toString());
    assertTrue(malformed.errorLine().startsWith("rebound: " + file + " line 2: not valid JSON"), malformed.toString());
  }

  @Test
  void whatOnlyTheNodeChecksInAFileIsReportedWithTheLineItCameFrom() throws IOException {
    // The node's own limits (rebound.http.item-policy) are not known to the CLI.
    Path file = Files.writeString(dir.resolve("limits.jsonl"), """
        {"payload":{}}
        {"payload":{}}
        {"payload":{},"retry":{"maxAttempts":101}}
        """);
    CliRun r = cli("enqueue", "work", "--file", file.toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals("rebound: line 3 retry.maxAttempts must be at most 100 (rebound.http.item-policy.max-attempts), was 101",
        r.errorLine());
  }

  @Test
  void aBadRetryFieldInAFileIsRefusedNamingTheFileAndLineWithTheNodesMessage() throws IOException {
    Path file = Files.writeString(dir.resolve("retry.jsonl"), """
        {"payload":{}}
        {"payload":{}}
        {"payload":{},"retry":{"jitter":"sometimes"}}
        """);
    CliRun r = cli("enqueue", "work", "--file", file.toString());
    assertEquals(1, r.code(), r.toString());
    assertEquals("rebound: " + file + " line 3: retry.jitter must be one of none, full, equal, was \"sometimes\"", r.errorLine());
  }

  // ---- status, history --------------------------------------------------------------------

  @Test
  void statusShowsTheItem() {
    String id = enqueue("{\"fail\":1}", "status-1");
    waitFor(id, ItemStatus.SUCCEEDED);
    CliRun r = cli("status", id);
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().matches("(?s)id\\s+" + id + "\\n.*"), r.toString());
    assertTrue(r.out().matches("(?s).*\\nstatus\\s+SUCCEEDED\\n.*"), r.toString());
    assertTrue(r.out().matches("(?s).*\\nattempts\\s+2 of 2\\n.*"), r.toString());
    assertTrue(r.out().matches("(?s).*\\nlast error\\s+TRANSIENT: simulated transient failure 1 of 1\\n.*"), r.toString());
    assertTrue(r.out().matches("(?s).*\\npayload\\s+\\{\"fail\":1}\\n.*"), r.toString());
  }

  @Test
  void historyShowsEachEventAndTheStackTracesOnlyWhenVerbose() throws IOException {
    String id = enqueue("{\"fail\":1}", "history-1");
    waitFor(id, ItemStatus.SUCCEEDED);

    CliRun r = cli("history", id);
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("AT "), r.toString());
    assertTrue(r.out().matches("(?s)AT\\s+TYPE\\s+ATTEMPT\\s+KIND\\s+MESSAGE\\n"
        + "\\S+\\s+enqueued\\s+-\\s+-\\s+-\\n"
        + "\\S+\\s+attempt-started\\s+1\\s+-\\s+-\\n"
        + "\\S+\\s+attempt-failed\\s+1\\s+TRANSIENT\\s+simulated transient failure 1 of 1\\n"
        + "\\S+\\s+attempt-started\\s+2\\s+-\\s+-\\n"
        + "\\S+\\s+succeeded\\s+2\\s+-\\s+-\\n"), r.toString());
    assertFalse(r.out().contains("TransientException"), r.toString());

    CliRun verbose = cli("history", id, "--verbose");
    assertEquals(0, verbose.code(), verbose.toString());
    assertTrue(verbose.out().contains("Stack trace of attempt 1"), verbose.toString());
    assertTrue(verbose.out().contains("TransientException"), verbose.toString());

    CliRun json = cli("history", id, "--json");
    assertEquals(0, json.code(), json.toString());
    JsonNode events = JSON.readTree(json.out()).get("events");
    assertEquals(5, events.size(), json.toString());
    assertTrue(events.get(2).get("stackTrace").asText().contains("TransientException"), json.toString());
  }

  // ---- cancel, redrive --------------------------------------------------------------------

  @Test
  void cancelStopsAnItemAndASecondCancelIsAConflictOnOneLine() {
    CliRun enqueued = cli("enqueue", "work", "--payload", "{}", "--key", "cancel-1", "--delay", "1h");
    assertEquals(0, enqueued.code(), enqueued.toString());
    String id = ItemIds.forKey("work", "cancel-1");

    CliRun r = cli("cancel", id);
    assertEquals(0, r.code(), r.toString());
    assertEquals("Cancelled " + id + ": it is now CANCELLED\n", r.out());
    assertEquals(ItemStatus.CANCELLED, status(id).orElseThrow().status());

    CliRun again = cli("cancel", id);
    assertEquals(1, again.code(), again.toString());
    assertEquals("rebound: cannot cancel item " + id + ": it is CANCELLED", again.errorLine());
    assertEquals("", again.out());
  }

  @Test
  void redriveSendsADeadLetterBackAndItRunsAgain() {
    String id = enqueue("{\"fail\":1,\"kind\":\"PERMANENT\"}", "redrive-1");
    waitFor(id, ItemStatus.DEAD_LETTERED);

    CliRun r = cli("redrive", id);
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("Redriven " + id + ": it is now "), r.toString());
    // The simulated failure was for the first invocation only.
    assertEquals(1, waitFor(id, ItemStatus.SUCCEEDED).attempts());

    CliRun again = cli("redrive", id);
    assertEquals(1, again.code(), again.toString());
    assertEquals("rebound: cannot redrive item " + id + ": it is SUCCEEDED", again.errorLine());
  }

  // ---- queues, pause, resume --------------------------------------------------------------

  @Test
  void queuesListsEachQueueWithItsPolicy() {
    CliRun r = cli("queues");
    assertEquals(0, r.code(), r.toString());
    assertEquals("""
        NAME  CONCURRENCY  PAUSED  MAX ATTEMPTS  BACKOFF
        work  8            no      2             exponential 10ms x2.0 up to 1h, jitter none
        """, r.out());
  }

  @Test
  void toolsListsEachToolWithItsStateAndParkedItems() throws Exception {
    CliRun r = Awaitility.await("the tool shows as DOWN").atMost(java.time.Duration.ofSeconds(10))
        .pollInterval(java.time.Duration.ofMillis(100)).until(() -> cli("tools"), run -> run.out().contains("DOWN"));
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("NAME  STATE  SINCE"), r.toString());
    assertTrue(r.out().contains("db    DOWN"), r.toString());
    assertTrue(r.out().contains("closed"), r.toString());

    CliRun parked = cli("tools", "--parked", "db");
    assertEquals(0, parked.code(), parked.toString());
    assertTrue(parked.out().startsWith("0 items parked on db"), parked.toString());
    CliRun release = cli("tools", "--release", "db");
    assertEquals(0, release.code(), release.toString());
    assertTrue(release.out().startsWith("Releasing 0 items parked on db"), release.toString());

    CliRun unknown = cli("tools", "--parked", "nope");
    assertEquals(1, unknown.code(), unknown.toString());
    assertTrue(unknown.err().startsWith("rebound: no tool named 'nope'"), unknown.toString());
  }

  @Test
  void pauseAndResumeAQueue() {
    try {
      CliRun paused = cli("pause", "work");
      assertEquals(0, paused.code(), paused.toString());
      assertTrue(paused.out().startsWith("Queue work is paused"), paused.toString());
      assertTrue(cli("queues").out().matches("(?s).*\\nwork\\s+8\\s+yes\\s+.*"));

      // A paused queue accepts items but starts none.
      String id = enqueue("{}", "paused-1");
      // Its permit request is held at the dispatcher: no attempt can start from here.
      Awaitility.await("the item waits at the dispatcher").atMost(java.time.Duration.ofSeconds(10)).until(() ->
          node.rebound().dispatcherStats().toCompletableFuture().join().queues().get("work").waiting() == 1);
      ItemView held = status(id).orElseThrow();
      assertEquals(ItemStatus.PENDING, held.status());
      assertEquals(0, held.attempts());
    } finally {
      CliRun resumed = cli("resume", "work");
      assertEquals(0, resumed.code(), resumed.toString());
      assertEquals("Queue work is running.\n", resumed.out());
    }
    assertTrue(cli("queues").out().matches("(?s).*\\nwork\\s+8\\s+no\\s+.*"));
    waitFor(ItemIds.forKey("work", "paused-1"), ItemStatus.SUCCEEDED);
  }

  // ---- --json -----------------------------------------------------------------------------

  @Test
  void jsonOutputIsTheApisJson() throws IOException {
    CliRun enqueued = cli("enqueue", "work", "--payload", "{\"a\":[1,2]}", "--key", "json-1", "--json");
    assertEquals(0, enqueued.code(), enqueued.toString());
    JsonNode item = JSON.readTree(enqueued.out());
    String id = ItemIds.forKey("work", "json-1");
    assertEquals(id, item.get("id").asText());
    assertEquals("json-1", item.get("key").asText());
    assertEquals(JSON.readTree("{\"a\":[1,2]}"), item.get("payload"));
    waitFor(id, ItemStatus.SUCCEEDED);

    assertEquals("SUCCEEDED", JSON.readTree(cli("status", id, "--json").out()).get("status").asText());
    assertEquals("work", JSON.readTree(cli("queues", "--json").out()).get("queues").get(0).get("name").asText());
    assertTrue(JSON.readTree(cli("pause", "work", "--json").out()).get("paused").asBoolean());
    assertFalse(JSON.readTree(cli("resume", "work", "--json").out()).get("paused").asBoolean());

    Path file = Files.writeString(dir.resolve("json.jsonl"), "{\"payload\":1,\"key\":\"json-1\"}\n{\"payload\":2}\n{\"payload\":3}\n");
    CliRun batch = cli("enqueue", "work", "--file", file.toString(), "--batch-size", "2", "--json");
    assertEquals(0, batch.code(), batch.toString());
    JsonNode results = JSON.readTree(batch.out()).get("results");
    assertEquals(3, results.size(), batch.toString());
    assertEquals(id, results.get(0).get("id").asText());
    assertFalse(results.get(0).get("created").asBoolean());
    assertTrue(results.get(2).get("created").asBoolean());

    String cancelId = enqueue("{}", "json-cancel", "--delay", "1h");
    assertEquals("CANCELLED", JSON.readTree(cli("cancel", cancelId, "--json").out()).get("status").asText());
  }

  // ---- errors -----------------------------------------------------------------------------

  @Test
  void anUnknownItemIsOneLineAndExitCodeOne() {
    String id = UUID.randomUUID().toString();
    for (String command : new String[] {"status", "history", "cancel", "redrive"}) {
      CliRun r = cli(command, id);
      assertEquals(1, r.code(), r.toString());
      assertEquals("rebound: no item with id '" + id + "'", r.errorLine(), command);
      assertEquals("", r.out());
    }
    CliRun notAnId = cli("status", "not/an id");
    assertEquals(1, notAnId.code(), notAnId.toString());
    assertEquals("rebound: no item with id 'not/an id'", notAnId.errorLine());
  }

  @Test
  void anUnknownQueueIsOneLineAndExitCodeOne() {
    CliRun r = cli("enqueue", "nope", "--payload", "{}");
    assertEquals(1, r.code(), r.toString());
    assertEquals("rebound: no queue named 'nope'", r.errorLine());
    for (String command : new String[] {"pause", "resume"}) {
      CliRun p = cli(command, "nope");
      assertEquals(1, p.code(), p.toString());
      assertEquals("rebound: no queue named 'nope'", p.errorLine());
    }
  }

  @Test
  void anInvalidPriorityIsOneLineNamingTheField() {
    CliRun r = cli("enqueue", "work", "--payload", "{}", "--priority", "12");
    assertEquals(1, r.code(), r.toString());
    assertEquals("rebound: priority must be between 0 and 9, was 12", r.errorLine());

    CliRun two = cli("enqueue", "work", "--payload", "{}", "--priority", "12", "--delay", "soon");
    assertEquals(1, two.code(), two.toString());
    assertTrue(two.errorLine().matches("rebound: 2 fields are invalid \\(delay: .*soon.*\\) \\(priority: must be between 0 and 9, was 12\\)"),
        two.toString());
  }

  @Test
  void noNodeAtTheUrlIsOneLineAndExitCodeOne() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String nowhere = "http://127.0.0.1:" + port;
    CliRun r = CliRun.of("queues", "--url", nowhere);
    assertEquals(1, r.code(), r.toString());
    assertEquals("rebound: no node at " + nowhere + " (connection refused)", r.errorLine());
  }

  @Test
  void badArgumentsArePicocliErrorsOnOneLineWithExitCodeTwo() {
    String[][] cases = {
        {"enqueue", "work", "--payload", "{not json", "--url", url},
        {"enqueue", "work", "--url", url},
        {"enqueue", "work", "--payload", "{}", "--file", "x.jsonl", "--url", url},
        {"enqueue", "work", "--payload", "{}", "--priority", "high", "--url", url},
        {"enqueue", "work", "--file", "x.jsonl", "--key", "k", "--url", url},
        {"status", "--url", url},
        {"queues", "--url", "ftp://example.com"},
    };
    for (String[] args : cases) {
      CliRun r = CliRun.of(args);
      assertEquals(2, r.code(), r.toString());
      assertTrue(r.errorLine().startsWith("rebound: "), r.toString());
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static CliRun cli(String... args) {
    String[] withUrl = new String[args.length + 2];
    System.arraycopy(args, 0, withUrl, 0, args.length);
    withUrl[args.length] = "--url";
    withUrl[args.length + 1] = url;
    return CliRun.of(withUrl);
  }

  private static String enqueue(String payload, String key, String... more) {
    String[] args = new String[6 + more.length];
    String[] base = {"enqueue", "work", "--payload", payload, "--key", key};
    System.arraycopy(base, 0, args, 0, 6);
    System.arraycopy(more, 0, args, 6, more.length);
    CliRun r = cli(args);
    assertEquals(0, r.code(), r.toString());
    return ItemIds.forKey("work", key);
  }

  private static Optional<ItemView> status(String id) {
    return node.rebound().status(id).toCompletableFuture().join();
  }

  private static ItemView waitFor(String id, ItemStatus wanted) {
    return Awaitility.await("item " + id + " " + wanted).atMost(java.time.Duration.ofSeconds(10))
        .pollInterval(java.time.Duration.ofMillis(20)).until(() -> status(id), v -> v.isPresent() && v.get().status() == wanted)
        .orElseThrow();
  }

}
