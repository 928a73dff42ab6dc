package io.rebound.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Tokens and roles: every endpoint without a token, with a wrong one and with each role. */
class AuthApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  static final String METRICS = "metrics-token-0123456789abcdef";
  static final String VIEWER = "viewer-token-0123456789abcdef";
  static final String PRODUCER = "producer-token-0123456789abcdef";
  static final String OPERATOR = "operator-token-0123456789abcdef";
  private static final Map<String, String> TOKENS = Map.of("metrics", METRICS, "viewer", VIEWER, "producer", PRODUCER, "operator", OPERATOR);
  private static final List<String> ROLES = List.of("metrics", "viewer", "producer", "operator");

  @TempDir static Path dir;
  private static NodeServer node;
  private static String itemId;

  record Answer(int status, HttpResponse<String> raw) {
    JsonNode json() throws Exception {
      return JSON.readTree(raw.body());
    }
  }

  /** One endpoint and the least role that may call it. */
  record Endpoint(String method, String path, String body, String role) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  @BeforeAll
  static void startNode() throws Exception {
    Path operatorFile = Files.writeString(dir.resolve("operator.token"), OPERATOR + "\n");
    node = NodeServer.start(ConfigFactory.parseString("""
        rebound.data-dir = "%s"
        rebound.http.port = 0
        rebound.http.auth.tokens = [
          { token = "%s", role = metrics },
          { token = "%s", role = viewer },
          { token = "%s", role = producer },
          { token-file = "%s", role = operator },
          { role = operator }   # an unset ${?ENV}: skipped
        ]
        rebound.http.rate-limit { requests-per-second = 1000, burst = 1000 }
        pekko.management.http.port = 0
        pekko.coordinated-shutdown.exit-jvm = off
        rebound.queues.work { handler.type = simulated, retry { max-attempts = 1 } }
        rebound.schedules.nightly { cron = "0 0 2 * * *", queue = work }
        """.formatted(path(dir.resolve("data")), METRICS, VIEWER, PRODUCER, path(operatorFile))));
    Answer a = call("POST", "/v1/queues/work/items", "{\"payload\":{\"fail\":1,\"kind\":\"PERMANENT\"}}", OPERATOR);
    assertEquals(201, a.status(), a.raw().body());
    itemId = a.json().get("id").asText();
  }

  private static String path(Path p) {
    return p.toString().replace("\\", "/");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  static Answer call(String method, String path, String body, String token) throws Exception {
    return call(method, path, body, token == null ? null : "Bearer " + token, Map.of());
  }

  static Answer call(String method, String path, String body, String authorization, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    TestServers.asClient(b, method);
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    headers.forEach(b::header);
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r);
  }

  private static List<Endpoint> endpoints() {
    String item = "/v1/items/" + itemId;
    return List.of(
        new Endpoint("GET", "/metrics", null, "metrics"),
        new Endpoint("GET", "/v1/metrics", null, "metrics"),
        new Endpoint("GET", "/v1/queues", null, "viewer"),
        new Endpoint("GET", "/v1/queues/work/items", null, "viewer"),
        new Endpoint("GET", "/v1/queues/work/stats", null, "viewer"),
        new Endpoint("GET", "/v1/alerts", null, "viewer"),
        new Endpoint("GET", "/v1/config", null, "operator"),
        new Endpoint("GET", "/v1/tools", null, "viewer"),
        new Endpoint("GET", "/v1/tools/db/parked", null, "viewer"),
        new Endpoint("GET", item, null, "viewer"),
        new Endpoint("GET", item + "/history", null, "viewer"),
        new Endpoint("POST", "/v1/queues/work/items", "{\"payload\":{}}", "producer"),
        new Endpoint("POST", "/v1/queues/work/items/batch", "{\"items\":[{\"payload\":{}}]}", "producer"),
        new Endpoint("POST", item + "/cancel", null, "operator"),
        new Endpoint("POST", item + "/redrive", null, "operator"),
        new Endpoint("POST", "/v1/queues/work/pause", null, "operator"),
        new Endpoint("POST", "/v1/queues/work/resume", null, "operator"),
        new Endpoint("POST", "/v1/tools/db/release", null, "operator"),
        new Endpoint("POST", "/v1/queues/work/dead-letters/redrive", "{}", "operator"),
        new Endpoint("GET", "/v1/schedules", null, "viewer"),
        new Endpoint("POST", "/v1/schedules/nightly/pause", null, "operator"),
        new Endpoint("POST", "/v1/schedules/nightly/resume", null, "operator"),
        new Endpoint("POST", "/v1/schedules/nightly/trigger", null, "operator"));
  }

  @TestFactory
  Stream<DynamicTest> everyEndpointAnswers401WithoutOrWithAWrongTokenAnd403ForARoleBelowItsOwn() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Endpoint e : endpoints()) {
      tests.add(dynamicTest(e + " without a token is 401 with a Bearer challenge", () -> {
        Answer a = call(e.method(), e.path(), e.body(), null);
        assertEquals(401, a.status(), a.raw().body());
        assertTrue(a.raw().headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), a.raw().headers().toString());
        assertEquals("application/problem+json", a.raw().headers().firstValue("Content-Type").orElse(""));
      }));
      tests.add(dynamicTest(e + " with a wrong token is 401", () -> {
        Answer a = call(e.method(), e.path(), e.body(), OPERATOR + "x");
        assertEquals(401, a.status(), a.raw().body());
        assertTrue(a.raw().headers().firstValue("WWW-Authenticate").orElse("").contains("invalid_token"));
      }));
      for (String role : ROLES) {
        boolean allowed = ROLES.indexOf(role) >= ROLES.indexOf(e.role());
        tests.add(dynamicTest(e + " as " + role + (allowed ? " is allowed" : " is 403"), () -> {
          Answer a = call(e.method(), e.path(), e.body(), TOKENS.get(role));
          if (allowed) {
            assertNotEquals(401, a.status(), a.raw().body());
            assertNotEquals(403, a.status(), a.raw().body());
            assertTrue(a.status() < 500, a.raw().body());
          } else {
            assertEquals(403, a.status(), a.raw().body());
            assertTrue(a.json().get("detail").asText().contains(e.role()), a.raw().body());
          }
        }));
      }
    }
    return tests.stream();
  }

  @Test
  void theBearerSchemeIsCaseInsensitiveAndOtherSchemesAreRefused() throws Exception {
    assertEquals(200, call("GET", "/v1/queues", null, "bearer " + VIEWER, Map.of()).status());
    assertEquals(401, call("GET", "/v1/queues", null, "Basic " + VIEWER, Map.of()).status());
    assertEquals(401, call("GET", "/v1/queues", null, VIEWER, Map.of()).status());
  }

  @Test
  void anUnknownPathWithoutATokenIs401NotA404() throws Exception {
    assertEquals(401, call("GET", "/v1/nothing-here", null, null).status());
    assertEquals(404, call("GET", "/v1/nothing-here", null, VIEWER).status());
  }

  @Test
  void historyShowsStackTracesToOperatorsOnly() throws Exception {
    JsonNode failed = Awaitility.await("an attempt-failed entry").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          JsonNode last = null;
          for (JsonNode ev : call("GET", "/v1/items/" + itemId + "/history", null, OPERATOR).json().get("events")) {
            if (ev.get("type").asText().equals("attempt-failed")) {
              last = ev;
            }
          }
          return last;
        }, java.util.Objects::nonNull);
    assertTrue(failed != null && failed.hasNonNull("stackTrace"), String.valueOf(failed));
    for (String role : List.of("viewer", "producer")) {
      String body = call("GET", "/v1/items/" + itemId + "/history", null, TOKENS.get(role)).raw().body();
      assertTrue(body.contains("attempt-failed"), body);
      assertTrue(body.contains("\"message\""), body);
      assertFalse(body.contains("stackTrace"), role + ": " + body);
    }
  }

  @Test
  void payloadsAreShownToProducersAndOperatorsButNotToViewers() throws Exception {
    for (String role : List.of("producer", "operator")) {
      JsonNode item = call("GET", "/v1/items/" + itemId, null, TOKENS.get(role)).json();
      assertEquals(1, item.path("payload").path("fail").asInt(), role + ": " + item);
    }
    JsonNode seen = call("GET", "/v1/items/" + itemId, null, VIEWER).json();
    assertEquals(itemId, seen.get("id").asText());
    assertFalse(seen.has("payload"), "a viewer saw the payload: " + seen);
  }

  @Test
  void theMetricsRoleReadsMetricsButNoItemsAndNoFailureMessages() throws Exception {
    assertEquals(200, call("GET", "/metrics", null, METRICS).status());
    Awaitility.await("a recent failure").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
        .until(() -> !call("GET", "/v1/metrics", null, OPERATOR).json().get("recentFailures").isEmpty());
    assertTrue(call("GET", "/v1/metrics", null, OPERATOR).json().get("recentFailures").get(0).has("message"));
    JsonNode metrics = call("GET", "/v1/metrics", null, METRICS).json();
    assertFalse(metrics.get("recentFailures").isEmpty());
    for (JsonNode f : metrics.get("recentFailures")) {
      assertFalse(f.has("message"), "a metrics token saw a handler's message: " + f);
    }
    assertEquals(403, call("GET", "/v1/items/" + itemId, null, METRICS).status());
    assertEquals(403, call("GET", "/v1/queues", null, METRICS).status());
  }

  @Test
  void noAnswerEverCarriesATokenValue() throws Exception {
    for (Endpoint e : endpoints()) {
      for (String token : List.of(VIEWER, OPERATOR + "x")) {
        String body = call(e.method(), e.path(), e.body(), token).raw().body();
        assertFalse(body.contains(METRICS) || body.contains(VIEWER) || body.contains(PRODUCER) || body.contains(OPERATOR), e + ": " + body);
      }
    }
  }
}
