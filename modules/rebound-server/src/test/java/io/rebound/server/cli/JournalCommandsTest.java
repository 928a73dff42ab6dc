package io.rebound.server.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.item.ItemStatus;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading the journal back over a node with known failure patterns: rebound replay and POST
 * /v1/queues/{queue}/replay agree, history --at and ?at= agree, rebound index rebuild and its API.
 */
class JournalCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String TWO_ATTEMPTS = "{\"maxAttempts\":2}";
  @TempDir static Path dir;
  private static NodeServer node;
  private static String until;

  @BeforeAll
  static void runAKnownWorkload() {
    node = TestServers.start(dir, """
        rebound.index.group-within = 50ms
        rebound.queues.work { handler.type = simulated, concurrency = 8,
          retry { max-attempts = 5, initial = 20ms, max-interval = 1s, jitter = none } }
        """);
    String[] payloads = {"{\"fail\":1}", "{\"fail\":2}", "{\"fail\":3}", "{\"fail\":1,\"kind\":\"PERMANENT\"}", "{\"fail\":9}"};
    CompletableFuture<?>[] sent = new CompletableFuture<?>[payloads.length * 2];
    for (int i = 0; i < sent.length; i++) {
      sent[i] = node.rebound().enqueue("work", EnqueueRequest.builder(payloads[i % payloads.length]).build()).toCompletableFuture();
    }
    CompletableFuture.allOf(sent).join();
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      Map<ItemStatus, Long> c = node.rebound().index().stats("work", Instant.now()).toCompletableFuture().join().counts();
      return c.get(ItemStatus.SUCCEEDED) == 6 && c.get(ItemStatus.DEAD_LETTERED) == 4;
    });
    until = Instant.now().toString();
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static CliRun cli(String... args) {
    String[] withUrl = new String[args.length + 2];
    System.arraycopy(args, 0, withUrl, 0, args.length);
    withUrl[args.length] = "--url";
    withUrl[args.length + 1] = node.url();
    return CliRun.of(withUrl);
  }

  private static HttpResponse<String> post(String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + "/v1/queues/work/replay"))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(TestServers.asClient(b, "POST").build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void the_cli_and_the_api_give_the_same_replay() throws Exception {
    HttpResponse<String> http = post("{\"since\":\"1h\",\"until\":\"" + until + "\",\"retry\":" + TWO_ATTEMPTS + "}");
    assertEquals(200, http.statusCode(), http.body());
    JsonNode api = JSON.readTree(http.body());
    assertEquals(10, api.path("items").asInt());
    assertEquals(6, api.path("recorded").path("SUCCEEDED").asInt());
    assertEquals(2, api.path("replayed").path("SUCCEEDED").asInt());
    assertEquals(8, api.path("replayed").path("DEAD_LETTERED").asInt());
    assertEquals(4, api.path("changed").path("total").asInt());
    assertEquals(4, api.path("changed").path("items").size());

    CliRun json = cli("replay", "work", "--since", "1h", "--until", until, "--retry", TWO_ATTEMPTS, "--json");
    assertEquals(0, json.code(), json.toString());
    assertEquals(api, JSON.readTree(json.out()));

    CliRun table = cli("replay", "work", "--since", "1h", "--until", until, "--retry", TWO_ATTEMPTS);
    assertEquals(0, table.code(), table.toString());
    String succeeded = table.out().lines().filter(l -> l.startsWith("succeeded")).findFirst().orElseThrow();
    assertEquals(java.util.List.of("succeeded", "6", "2"), java.util.List.of(succeeded.trim().split("\\s+")));
    assertTrue(table.out().contains("4 items would end otherwise:"), table.toString());
    api.path("changed").path("items").forEach(c -> assertTrue(table.out().contains(c.path("id").asText()), table.toString()));
  }

  @Test
  void a_longer_policy_leaves_the_exhausted_items_unknown() throws Exception {
    JsonNode api = JSON.readTree(post("{\"since\":\"1h\",\"retry\":{\"maxAttempts\":8}}").body());
    assertEquals(6, api.path("replayed").path("SUCCEEDED").asInt());
    assertEquals(2, api.path("replayed").path("DEAD_LETTERED").asInt());
    assertEquals(2, api.path("replayed").path("UNKNOWN").asInt());
    assertEquals(2, api.path("byErrorKind").path("PERMANENT").path("items").asInt());
  }

  @Test
  void bad_input_is_a_problem_naming_the_field() throws Exception {
    HttpResponse<String> r = post("{\"since\":\"a week\",\"retry\":{\"maxAttempts\":0,\"colour\":1}}");
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"), r.headers().toString());
    JsonNode errors = JSON.readTree(r.body()).path("errors");
    assertTrue(errors.has("since"), r.body());
    assertTrue(errors.has("retry.maxAttempts"), r.body());
    assertTrue(errors.has("retry.colour"), r.body());

    CliRun cli = cli("replay", "work", "--since", "7d", "--retry", "{maxAttempts");
    assertEquals(1, cli.code(), cli.toString());
    assertTrue(cli.errorLine().contains("--retry"), cli.toString());
  }

  @Test
  void history_at_a_point_in_time_shows_the_item_as_it_was_then() throws Exception {
    // An item that fails 9 times under 5 attempts: after its second failure it was WAITING with 2 attempts.
    JsonNode dead = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(node.url()
        + "/v1/queues/work/items?status=DEAD_LETTERED&errorKind=TRANSIENT&limit=1")).build(), HttpResponse.BodyHandlers.ofString()).body());
    String id = dead.path("items").get(0).path("id").asText();
    JsonNode history = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/items/" + id + "/history")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    String secondFailure = null;
    for (JsonNode e : history.path("events")) {
      if (e.path("type").asText().equals("attempt-failed") && e.path("attempt").asInt() == 2) {
        secondFailure = e.path("at").asText();
      }
    }
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/items/" + id + "/history?at=" + secondFailure)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    JsonNode api = JSON.readTree(r.body());
    assertEquals("WAITING", api.path("item").path("status").asText(), r.body());
    assertEquals(2, api.path("item").path("attempts").asInt(), r.body());
    assertEquals(5, api.path("events").size(), r.body());

    CliRun json = cli("history", id, "--at", secondFailure, "--json");
    assertEquals(api, JSON.readTree(json.out()));
    CliRun table = cli("history", id, "--at", secondFailure);
    assertEquals(0, table.code(), table.toString());
    assertTrue(table.out().lines().anyMatch(l -> l.matches("status\\s+WAITING")), table.toString());
    assertTrue(table.out().lines().anyMatch(l -> l.matches("attempts\\s+2 of 5")), table.toString());

    JsonNode before = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/items/" + id + "/history?at=2000-01-01T00:00:00Z")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    assertTrue(before.path("item").isNull(), before.toString());
    HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/items/" + id + "/history?at=yesterday")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(JSON.readTree(bad.body()).path("errors").has("at"), bad.body());
  }

  @Test
  void index_rebuild_runs_to_its_end_and_a_second_one_meanwhile_is_refused() throws Exception {
    CliRun run = cli("index", "rebuild");
    assertEquals(0, run.code(), run.toString());
    assertTrue(run.out().lines().anyMatch(l -> l.startsWith("Rebuilt at ") && l.contains(": 10 items")), run.toString());
    CliRun status = cli("index", "status", "--json");
    JsonNode cli = JSON.readTree(status.out());
    JsonNode api = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/index/rebuild")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    assertEquals(api, cli);
    assertEquals("DONE", api.path("state").asText());
    // The rows are back as they were: the replay's counts do not move.
    assertEquals(6, JSON.readTree(post("{\"since\":\"1h\",\"retry\":{}}").body()).path("replayed").path("SUCCEEDED").asInt());

    // Another node's rebuild holds the lock: 409, and the CLI says so in one line.
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(node.rebound().settings().effectiveDatabaseUrl(),
            node.rebound().system().settings().config().getString("rebound.database.user"),
            node.rebound().system().settings().config().getString("rebound.database.password"));
        java.sql.Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE rebound_index_rebuild SET state = 'RUNNING', node = 'pekko://rebound@10.0.0.9:25520', heartbeat = CURRENT_TIMESTAMP");
      HttpResponse<String> refused = HTTP.send(TestServers.asClient(HttpRequest.newBuilder(URI.create(node.url() + "/v1/index/rebuild"))
          .POST(HttpRequest.BodyPublishers.noBody()), "POST").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(409, refused.statusCode(), refused.body());
      CliRun again = cli("index", "rebuild");
      assertEquals(1, again.code(), again.toString());
      assertTrue(again.errorLine().contains("already running on pekko://rebound@10.0.0.9:25520"), again.toString());
      st.executeUpdate("UPDATE rebound_index_rebuild SET state = 'DONE'");
    }
  }
}
