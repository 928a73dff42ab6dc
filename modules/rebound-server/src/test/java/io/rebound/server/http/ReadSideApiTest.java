package io.rebound.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** The read side over HTTP: lists, stats, bulk redrive and alerts against a known workload. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadSideApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  @TempDir static Path dir;
  private static NodeServer node;

  record Answer(int status, String contentType, JsonNode json) {}

  @BeforeAll
  static void startNode() throws Exception {
    node = TestServers.start(dir, """
        rebound.index.group-within = 50ms
        jdbc-read-journal.refresh-interval = 200ms
        rebound.queues.work { handler.type = simulated, concurrency = 8, retry { max-attempts = 2, initial = 10ms, jitter = none } }
        rebound.queues.empty { handler.type = simulated }
        """);
    // 12 succeed, 4 fail permanently, 4 run out of attempts.
    for (int i = 0; i < 20; i++) {
      String payload = i < 12 ? "{}" : i < 16 ? "{\"fail\":1,\"kind\":\"PERMANENT\"}" : "{\"fail\":9}";
      assertEquals(201, call("POST", "/v1/queues/work/items", "{\"payload\":" + payload + "}").status());
    }
    awaitCount("SUCCEEDED", 12);
    awaitCount("DEAD_LETTERED", 8);
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  static Answer call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    TestServers.asClient(b, method);
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body().isEmpty() ? null : JSON.readTree(r.body()));
  }

  private static void awaitCount(String status, int n) {
    Awaitility.await("stats show " + n + " " + status).atMost(Duration.ofSeconds(60))
        .until(() -> call("GET", "/v1/queues/work/stats", null).json().path("counts").path(status).asInt() == n);
  }

  @Test
  void listsPageThroughEveryItemOnceWithTheCursor() throws Exception {
    Set<String> ids = new HashSet<>();
    String next = null;
    int pages = 0;
    do {
      Answer a = call("GET", "/v1/queues/work/items?limit=6" + (next == null ? "" : "&after=" + next), null);
      assertEquals(200, a.status(), a.toString());
      a.json().path("items").forEach(r -> assertTrue(ids.add(r.path("id").asText()), "listed twice: " + r));
      next = a.json().path("next").isNull() ? null : a.json().path("next").asText();
      pages++;
    } while (next != null);
    assertEquals(20, ids.size());
    assertEquals(4, pages);
  }

  @Test
  void listsFilterByStatusAndErrorKind() throws Exception {
    Answer dead = call("GET", "/v1/queues/work/items?status=dead_lettered&errorKind=PERMANENT", null);
    assertEquals(4, dead.json().path("items").size(), dead.toString());
    dead.json().path("items").forEach(r -> {
      assertEquals("DEAD_LETTERED", r.path("status").asText());
      assertEquals("PERMANENT", r.path("lastError").path("kind").asText());
    });
    assertEquals(0, call("GET", "/v1/queues/empty/items", null).json().path("items").size());
  }

  @Test
  void badListParametersAreProblemsNamingTheField() throws Exception {
    Answer a = call("GET", "/v1/queues/work/items?status=DONE&limit=0&after=zzz", null);
    assertEquals(400, a.status());
    assertEquals("application/problem+json", a.contentType());
    assertTrue(a.json().path("errors").has("status"), a.toString());
    assertTrue(a.json().path("errors").has("limit"), a.toString());
    assertTrue(a.json().path("errors").has("after"), a.toString());
    assertEquals(404, call("GET", "/v1/queues/nope/items", null).status());
    assertEquals(404, call("GET", "/v1/queues/nope/stats", null).status());
  }

  @Test
  void statsShowCountsAndRetryFigures() throws Exception {
    JsonNode s = call("GET", "/v1/queues/work/stats", null).json();
    assertEquals(20, s.path("total").asInt());
    assertEquals(0, s.path("counts").path("PENDING").asInt());
    assertTrue(s.path("oldestPendingAgeSeconds").isNull());
    assertEquals(2, s.path("retry").path("maxAttempts").asInt());
    assertEquals(24.0 / 20, s.path("retry").path("averageAttempts").asDouble(), 1e-9);
    assertEquals(false, s.path("paused").asBoolean());
  }

  @Test
  void alertsListTheQueueRunningOutOfAttempts() throws Exception {
    Answer a = call("GET", "/v1/alerts", null);
    assertEquals(200, a.status());
    boolean exhausted = false;
    for (JsonNode alert : a.json().path("alerts")) {
      if (alert.path("type").asText().equals("attempts-exhausted") && alert.path("queue").asText().equals("work")) {
        exhausted = true;
        assertEquals(4, alert.path("count").asInt(), alert.toString());
      }
    }
    assertTrue(exhausted, a.toString());
    assertEquals(0, a.json().path("stuck").size());
  }

  @Test
  @Order(Integer.MAX_VALUE) // it changes the workload the other tests count
  void bulkRedriveRejectsABadFilterAndRedrivesTheMatchingOnes() throws Exception {
    Answer bad = call("POST", "/v1/queues/work/dead-letters/redrive", "{\"errorKind\":\"NOPE\",\"max\":0,\"color\":1}");
    assertEquals(400, bad.status());
    assertTrue(bad.json().path("errors").has("errorKind") && bad.json().path("errors").has("max") && bad.json().path("errors").has("color"), bad.toString());
    Answer none = call("POST", "/v1/queues/work/dead-letters/redrive", "{\"from\":\"2999-01-01T00:00:00Z\"}");
    assertEquals(202, none.status(), none.toString());
    assertEquals(0, none.json().path("matched").asInt());
    Answer permanent = call("POST", "/v1/queues/work/dead-letters/redrive", "{\"errorKind\":\"PERMANENT\",\"max\":3}");
    assertEquals(202, permanent.status(), permanent.toString());
    assertEquals(3, permanent.json().path("matched").asInt());
    // A permanent failure fails again at once; each of the three shows one more redrive in its history.
    Awaitility.await("three redriven").atMost(Duration.ofSeconds(30)).until(() -> {
      int redriven = 0;
      for (JsonNode r : call("GET", "/v1/queues/work/items?errorKind=PERMANENT", null).json().path("items")) {
        for (JsonNode e : call("GET", "/v1/items/" + r.path("id").asText() + "/history", null).json().path("events")) {
          if (e.path("type").asText().equals("redriven")) {
            redriven++;
          }
        }
      }
      return redriven;
    }, n -> n == 3);
  }
}
