package io.rebound.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static Path dir;
  private static NodeServer node;

  /** A status code and a body, parsed when it is JSON. */
  record Answer(int status, String contentType, JsonNode json) {}

  @BeforeAll
  static void startNode() throws Exception {
    dir = Files.createTempDirectory("rebound-http-test");
    node = NodeServer.start(ConfigFactory.parseString("""
        rebound.data-dir = "%s"
        rebound.http.port = 0
        rebound.http.max-payload = 2KiB
        rebound.http.max-batch = 5
        pekko.management.http.port = 0
        pekko.coordinated-shutdown.exit-jvm = off
        rebound.queues.work { handler.type = simulated, retry { max-attempts = 2, initial = 10ms, jitter = none } }
        rebound.queues.other { handler.type = simulated, concurrency = 3 }
        rebound.queues.needs-db { handler.type = simulated, tools = [db] }
        rebound.tools.db { probe { type = tcp, host = "127.0.0.1", port = %d, interval = 100ms, timeout = 200ms } }
        """.formatted(dir.toString().replace("\\", "/"), closedPort())));
  }

  /** A port nothing listens on: the db tool stays down. */
  private static int closedPort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static Answer call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    TestServers.asClient(b, method);
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    String type = r.headers().firstValue("Content-Type").orElse("");
    JsonNode json = r.body().isEmpty() ? null : JSON.readTree(r.body());
    return new Answer(r.statusCode(), type, json);
  }

  private static Answer post(String path, String body) throws Exception {
    return call("POST", path, body);
  }

  private static Answer get(String path) throws Exception {
    return call("GET", path, null);
  }

  private static void assertProblem(Answer a, int status) {
    assertEquals(status, a.status(), String.valueOf(a.json()));
    assertEquals("application/problem+json", a.contentType());
    assertEquals(status, a.json().get("status").asInt());
    assertTrue(a.json().get("type").asText().startsWith("urn:rebound:problem:"));
    assertFalse(a.json().toString().contains("Exception"), "no internal exception text: " + a.json());
  }

  private static JsonNode awaitStatus(String id, String status) throws Exception {
    return Awaitility.await("item " + id + " " + status).atMost(Duration.ofSeconds(20))
        .until(() -> get("/v1/items/" + id).json(), item -> item.get("status").asText().equals(status));
  }

  // ---- enqueue and read -------------------------------------------------------------------

  @Test
  void enqueueAnswers201WithTheItemAnd200WithTheExistingOneForItsKey() throws Exception {
    Answer created = post("/v1/queues/work/items", "{\"key\":\"k-1\",\"payload\":{\"ms\":1},\"priority\":7}");
    assertEquals(201, created.status());
    JsonNode item = created.json();
    assertEquals("work", item.get("queue").asText());
    assertEquals("k-1", item.get("key").asText());
    assertEquals(7, item.get("priority").asInt());
    assertEquals(2, item.get("maxAttempts").asInt());
    assertEquals(1, item.get("payload").get("ms").asInt());
    for (String field : new String[] {"id", "status", "attempts", "nextAttemptAt", "lastError", "createdAt", "updatedAt"}) {
      assertTrue(item.has(field), field);
    }

    Answer again = post("/v1/queues/work/items", "{\"key\":\"k-1\",\"payload\":{\"other\":true}}");
    assertEquals(200, again.status());
    assertEquals(item.get("id"), again.json().get("id"));
    assertEquals(1, again.json().get("payload").get("ms").asInt());
  }

  @Test
  void anEnqueueCarriesTheTraceparentHeaderIntoTheItem() throws Exception {
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + "/v1/queues/work/items")).timeout(Duration.ofSeconds(30))
        .header("traceparent", traceparent)
        .POST(HttpRequest.BodyPublishers.ofString("{\"payload\":{}}"));
    TestServers.asClient(b, "POST");
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r.body());
    String id = JSON.readTree(r.body()).get("id").asText();
    JsonNode enqueued = get("/v1/items/" + id + "/history").json().get("events").get(0);
    assertEquals(traceparent, enqueued.get("traceparent").asText(), enqueued.toString());
  }

  @Test
  void itemAndHistoryShowEveryAttemptWithItsError() throws Exception {
    String id = post("/v1/queues/work/items", "{\"payload\":{\"fail\":5,\"kind\":\"TRANSIENT\"}}").json().get("id").asText();
    JsonNode dead = awaitStatus(id, "DEAD_LETTERED");
    assertEquals(2, dead.get("attempts").asInt());
    assertEquals("TRANSIENT", dead.get("lastError").get("kind").asText());
    assertTrue(dead.get("lastError").get("message").asText().contains("simulated"));

    JsonNode events = get("/v1/items/" + id + "/history").json().get("events");
    assertEquals("enqueued", events.get(0).get("type").asText());
    assertTrue(events.get(0).get("attempt").isNull());
    JsonNode failed = events.get(2);
    assertEquals("attempt-failed", failed.get("type").asText());
    assertEquals(1, failed.get("attempt").asInt());
    assertEquals("TRANSIENT", failed.get("kind").asText());
    assertTrue(failed.get("stackTrace").asText().contains("TransientException"));
    assertTrue(failed.has("nextAttemptAt"));
    assertEquals("dead-lettered", events.get(events.size() - 1).get("type").asText());
  }

  @Test
  void anItemMayCarryItsOwnRetryPolicyAndDelay() throws Exception {
    JsonNode item = post("/v1/queues/work/items",
        "{\"payload\":{},\"delay\":\"PT1H\",\"retry\":{\"maxAttempts\":7,\"backoff\":\"schedule\",\"schedule\":[\"1m\",\"5m\"]}}").json();
    assertEquals(7, item.get("maxAttempts").asInt());
    assertEquals("PENDING", item.get("status").asText());
    assertFalse(item.get("nextAttemptAt").isNull(), "the delay is the next attempt time");
    assertEquals(5, post("/v1/queues/work/items", "{\"payload\":{},\"maxAttempts\":5}").json().get("maxAttempts").asInt());
  }

  @Test
  void an_item_carries_its_group_from_enqueue_to_its_json_and_a_bad_group_is_named() throws Exception {
    JsonNode item = post("/v1/queues/work/items", "{\"payload\":{},\"group\":\"customer-42\",\"delay\":\"1h\"}").json();
    assertEquals("customer-42", item.get("group").asText());
    assertEquals("customer-42", get("/v1/items/" + item.get("id").asText()).json().get("group").asText());
    assertTrue(post("/v1/queues/work/items", "{\"payload\":{},\"delay\":\"1h\"}").json().get("group").isNull());
    String batchId = post("/v1/queues/work/items/batch", "{\"items\":[{\"payload\":{},\"group\":\"t-1\",\"delay\":\"1h\"}]}")
        .json().get("results").get(0).get("id").asText();
    assertEquals("t-1", get("/v1/items/" + batchId).json().get("group").asText());
    Answer bad = post("/v1/queues/work/items", "{\"payload\":{},\"group\":\"\"}");
    assertProblem(bad, 400);
    assertTrue(bad.json().get("errors").has("group"), bad.json().toString());
  }

  @Test
  void batchAnswersOneResultPerItemInOrder() throws Exception {
    post("/v1/queues/work/items", "{\"key\":\"b-existing\",\"payload\":{}}");
    Answer a = post("/v1/queues/work/items/batch",
        "{\"items\":[{\"payload\":{\"n\":1}},{\"key\":\"b-existing\",\"payload\":{}},{\"payload\":[1,2]}]}");
    assertEquals(200, a.status());
    JsonNode results = a.json().get("results");
    assertEquals(3, results.size());
    assertTrue(results.get(0).get("created").asBoolean());
    assertFalse(results.get(1).get("created").asBoolean());
    assertTrue(results.get(2).has("id") && results.get(2).has("status"));
  }

  // ---- actions ----------------------------------------------------------------------------

  @Test
  void cancelAndRedriveAnswer200OrConflict() throws Exception {
    String pending = post("/v1/queues/work/items", "{\"payload\":{},\"delay\":\"1h\"}").json().get("id").asText();
    Answer cancelled = post("/v1/items/" + pending + "/cancel", null);
    assertEquals(200, cancelled.status());
    assertEquals("CANCELLED", cancelled.json().get("status").asText());
    assertProblem(post("/v1/items/" + pending + "/cancel", null), 409);
    assertProblem(post("/v1/items/" + pending + "/redrive", null), 409);

    String bad = post("/v1/queues/work/items", "{\"payload\":{\"fail\":1,\"kind\":\"PERMANENT\"}}").json().get("id").asText();
    awaitStatus(bad, "DEAD_LETTERED");
    Answer redriven = post("/v1/items/" + bad + "/redrive", null);
    assertEquals(200, redriven.status());
    assertEquals(0, redriven.json().get("attempts").asInt());
    // The simulated failure was the first invocation only: the redrive succeeds.
    awaitStatus(bad, "SUCCEEDED");
  }

  @Test
  void aPausedQueueAcceptsItemsButStartsNoAttempts() throws Exception {
    Answer paused = post("/v1/queues/other/pause", null);
    assertEquals(200, paused.status());
    assertTrue(paused.json().get("paused").asBoolean());
    String id = post("/v1/queues/other/items", "{\"payload\":{}}").json().get("id").asText();
    // The item asked for its permit and the dispatcher holds it: no attempt can start from here.
    Awaitility.await("the item waits at the dispatcher").atMost(Duration.ofSeconds(20))
        .until(() -> node.rebound().dispatcherStats().toCompletableFuture().join().queues().get("other").waiting() == 1);
    JsonNode held = get("/v1/items/" + id).json();
    assertEquals("PENDING", held.get("status").asText());
    assertEquals(0, held.get("attempts").asInt());
    JsonNode queues = get("/v1/queues").json().get("queues");
    assertTrue(queues.get(1).get("paused").asBoolean(), queues.toString());

    assertFalse(post("/v1/queues/other/resume", null).json().get("paused").asBoolean());
    awaitStatus(id, "SUCCEEDED");
  }

  @Test
  void queuesListsEveryConfiguredQueueWithItsSettings() throws Exception {
    JsonNode queues = get("/v1/queues").json().get("queues");
    assertEquals(3, queues.size());
    assertEquals("db", queues.get(0).get("tools").get(0).asText());
    JsonNode work = queues.get(2);
    assertEquals("work", work.get("name").asText());
    assertEquals(8, work.get("concurrency").asInt());
    assertEquals(2, work.get("retry").get("maxAttempts").asInt());
    assertEquals("none", work.get("retry").get("jitter").asText());
    assertEquals("PT5M", work.get("attemptTimeout").asText());
  }

  // ---- errors -----------------------------------------------------------------------------

  @Test
  void malformedJsonIsA400Problem() throws Exception {
    assertProblem(post("/v1/queues/work/items", "{\"payload\": "), 400);
    assertProblem(post("/v1/queues/work/items", ""), 400);
    assertProblem(post("/v1/queues/work/items", "[1,2]"), 400);
  }

  @Test
  void invalidFieldsAreEachNamedInErrors() throws Exception {
    Answer a = post("/v1/queues/work/items",
        "{\"priority\":12,\"key\":5,\"delay\":\"soon\",\"maxAttempts\":0,\"retry\":{\"jitter\":\"lots\",\"multiplier\":0.5},\"extra\":1}");
    assertProblem(a, 400);
    JsonNode errors = a.json().get("errors");
    assertTrue(errors.has("payload"), errors.toString());
    a = post("/v1/queues/work/items",
        "{\"payload\":{},\"priority\":12,\"key\":5,\"delay\":\"soon\",\"maxAttempts\":0,\"retry\":{\"jitter\":\"lots\",\"multiplier\":0.5},\"extra\":1}");
    assertProblem(a, 400);
    errors = a.json().get("errors");
    for (String field : new String[] {"priority", "key", "delay", "maxAttempts", "retry.jitter", "retry.multiplier", "extra"}) {
      assertTrue(errors.has(field), field + " in " + errors);
    }
    assertTrue(errors.get("priority").asText().contains("between 0 and 9"), errors.toString());
  }

  @Test
  void unknownQueueAndUnknownItemAre404() throws Exception {
    assertProblem(post("/v1/queues/nope/items", "{\"payload\":{}}"), 404);
    assertProblem(post("/v1/queues/nope/pause", null), 404);
    assertProblem(get("/v1/items/00000000-0000-0000-0000-000000000000"), 404);
    assertProblem(get("/v1/items/not-an-id/history"), 404);
    assertProblem(post("/v1/items/00000000-0000-0000-0000-000000000000/cancel", null), 404);
    assertProblem(get("/v1/nothing-here"), 404);
    // Not a 405 for "use GET": the dashboard's GET routes must not claim every path.
    assertProblem(post("/v1/nothing-here", "{}"), 404);
    assertProblem(post("/nothing-here", "{}"), 404);
  }

  @Test
  void wrongMethodIs405() throws Exception {
    Answer wrong = call("DELETE", "/v1/queues/work/items", null);
    assertProblem(wrong, 405);
    assertEquals("use POST or GET", wrong.json().path("detail").asText());
    assertEquals("use POST", call("PUT", "/v1/items/00000000-0000-0000-0000-000000000000/cancel", null).json().path("detail").asText());
  }

  @Test
  void payloadOverTheLimitIs413() throws Exception {
    String big = "x".repeat(3000);
    assertProblem(post("/v1/queues/work/items", "{\"payload\":\"" + big + "\"}"), 413);
    assertProblem(post("/v1/queues/work/items/batch", "{\"items\":[{\"payload\":\"" + big + "\"}]}"), 413);
  }

  @Test
  void batchRejectsTooManyItemsAndNamesTheInvalidOne() throws Exception {
    Answer tooMany = post("/v1/queues/work/items/batch", "{\"items\":[{\"payload\":1},{\"payload\":2},{\"payload\":3},{\"payload\":4},{\"payload\":5},{\"payload\":6}]}");
    assertProblem(tooMany, 400);
    assertTrue(tooMany.json().get("errors").get("items").asText().contains("at most 5"));
    Answer invalid = post("/v1/queues/work/items/batch", "{\"items\":[{\"payload\":1},{\"payload\":2,\"priority\":-1}]}");
    assertProblem(invalid, 400);
    assertTrue(invalid.json().get("errors").has("items[1].priority"), invalid.json().toString());
    assertProblem(post("/v1/queues/work/items/batch", "{\"things\":[]}"), 400);
  }

  @Test
  void theNodeKeepsServingAfterEveryError() throws Exception {
    for (int i = 0; i < 20; i++) {
      post("/v1/queues/work/items", "{bad");
      get("/v1/items/zzz");
      post("/v1/queues/work/items", "{\"payload\":\"" + "y".repeat(5000) + "\"}");
    }
    Answer ok = post("/v1/queues/work/items", "{\"payload\":{}}");
    assertEquals(201, ok.status());
    assertNull(ok.json().get("lastError").textValue());
  }

  // ---- tools ------------------------------------------------------------------------------

  @Test
  void itemsOfAQueueWhoseToolIsDownAreParkedAndListedUnderTheTool() throws Exception {
    Awaitility.await("the db tool shows as down").atMost(Duration.ofSeconds(10))
        .until(() -> get("/v1/tools").json().get("tools").get(0).get("state").asText().equals("DOWN"));
    String id = post("/v1/queues/needs-db/items", "{\"payload\":{}}").json().get("id").asText();
    JsonNode item = awaitStatus(id, "PARKED");
    assertEquals(0, item.get("attempts").asInt());
    assertEquals("TOOL_UNAVAILABLE", item.get("lastError").get("kind").asText());

    // The parked list is the read side's: it shows the parking within the projection's lag.
    JsonNode parked = Awaitility.await(id + " listed as parked").atMost(Duration.ofSeconds(10))
        .until(() -> get("/v1/tools/db/parked?limit=10").json(), p -> p.get("items").toString().contains(id));
    assertTrue(parked.get("count").asInt() >= 1, parked.toString());
    JsonNode tool = get("/v1/tools").json().get("tools").get(0);
    assertEquals("db", tool.get("name").asText());
    assertTrue(tool.get("parked").asInt() >= 1);
    assertTrue(tool.get("lastError").asText().length() > 0);

    Answer release = post("/v1/tools/db/release", null);
    assertEquals(200, release.status());
    assertTrue(release.json().get("releasing").asInt() >= 1);
  }

  @Test
  void unknownToolIs404AndABadLimitIs400() throws Exception {
    assertProblem(get("/v1/tools/nope/parked"), 404);
    assertProblem(post("/v1/tools/nope/release", null), 404);
    Answer bad = get("/v1/tools/db/parked?limit=zero");
    assertProblem(bad, 400);
    assertTrue(bad.json().get("errors").has("limit"));
  }

  // ---- management -------------------------------------------------------------------------

  @Test
  void managementReportsReadyAndAliveWithTheJournalAndShardingChecks() throws Exception {
    String base = node.managementUrl().replaceAll("/$", "");
    for (String path : new String[] {"/ready", "/alive"}) {
      // On a loaded machine the sharding regions may register with the coordinator a moment after start.
      Awaitility.await(path + " answers 200").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
          .until(() -> CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }
    HttpResponse<String> members = CLIENT.send(
        HttpRequest.newBuilder(URI.create(base + "/cluster/members")).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(JSON.readTree(members.body()).get("members").get(0).get("status").asText().equals("Up"), members.body());
  }

  @Test
  void theJournalCheckFailsWhenTheDatabaseDoesNotAnswer() throws Exception {
    com.typesafe.config.Config bad = ConfigFactory.parseString("""
        pekko-persistence-jdbc.shared-databases.rebound.db { url = "jdbc:postgresql://127.0.0.1:1/none", user = x, password = y }
        """).withFallback(node.rebound().system().settings().config()).resolve();
    org.apache.pekko.actor.ActorSystem classic = org.apache.pekko.actor.ActorSystem.create("journal-check", bad);
    try {
      assertFalse(new io.rebound.server.node.JournalHealthCheck(classic).get().toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(new io.rebound.server.node.JournalHealthCheck(node.rebound().system().classicSystem()).get()
          .toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS));
    } finally {
      classic.terminate();
    }
  }
}
