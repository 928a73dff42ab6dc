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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GET /metrics (Prometheus text) and GET /v1/metrics (JSON) on a real node. */
class MetricsRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final Pattern SAMPLE = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? \\S+");
  private static NodeServer node;

  @BeforeAll
  static void startNode() throws Exception {
    Path dir = Files.createTempDirectory("rebound-metrics-http-test");
    node = TestServers.start(dir, """
        rebound.queues.mail { handler.type = simulated, retry { max-attempts = 2, initial = 10ms, jitter = none } }
        """);
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    TestServers.asClient(b, method);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static double succeeded(String prometheusText) {
    Matcher m = Pattern.compile("(?m)^rebound_items_total\\{outcome=\"succeeded\",queue=\"mail\"} (\\S+)$").matcher(prometheusText);
    assertTrue(m.find(), prometheusText);
    return Double.parseDouble(m.group(1));
  }

  private static JsonNode metricsJson() throws Exception {
    HttpResponse<String> r = call("GET", "/v1/metrics", null);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    return JSON.readTree(r.body());
  }

  /** Enqueues over HTTP and waits until the JSON view has counted the outcomes. */
  private static JsonNode enqueueAndAwait(String payload, String field, long want) throws Exception {
    assertEquals(201, call("POST", "/v1/queues/mail/items", "{\"payload\":" + payload + "}").statusCode());
    return Awaitility.await(field + " reaches " + want).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(MetricsRoutesTest::metricsJson, m -> m.get(field).asLong() >= want);
  }

  @Test
  void prometheusScrapeIsTextFormatAndItsCountersMove() throws Exception {
    HttpResponse<String> first = call("GET", "/metrics", null);
    assertEquals(200, first.statusCode());
    String type = first.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
    assertEquals("text/plain; version=0.0.4; charset=utf-8", type);
    for (String line : first.body().split("\n")) {
      assertTrue(line.isEmpty() || line.startsWith("# HELP ") || line.startsWith("# TYPE ") || SAMPLE.matcher(line).matches(), line);
    }
    double before = succeeded(first.body());

    long processed = metricsJson().get("processed").asLong();
    enqueueAndAwait("{}", "processed", processed + 1);

    assertEquals(before + 1, succeeded(call("GET", "/metrics", null).body()));
  }

  @Test
  void jsonMetricsCountOutcomesErrorsAndRecentFailures() throws Exception {
    long dead = metricsJson().get("deadLettered").asLong();
    JsonNode m = enqueueAndAwait("{\"fail\":1,\"kind\":\"PERMANENT\"}", "deadLettered", dead + 1);

    assertTrue(m.get("errorsByKind").get("PERMANENT").asLong() >= 1, m.toString());
    assertTrue(m.get("itemsPerSecond").has("1m") && m.get("itemsPerSecond").has("5m"), m.toString());
    assertTrue(m.get("itemsPerMinute").isNumber());
    assertTrue(m.get("averageProcessingMillis").isNumber());
    assertEquals(0, m.get("depth").get("mail").get("PENDING").asLong(), "no read side yet: depth is 0");
    JsonNode failure = m.get("recentFailures").get(0);
    assertEquals("mail", failure.get("queue").asText());
    assertEquals("PERMANENT", failure.get("kind").asText());
    assertTrue(failure.get("message").asText().contains("simulated permanent failure"), failure.toString());
    assertTrue(failure.get("id").asText().length() > 10);
    assertTrue(failure.get("at").asText().endsWith("Z"), failure.toString());
    JsonNode queue = m.get("queues").get("mail");
    assertEquals(m.get("deadLettered").asLong(), queue.get("deadLettered").asLong(), "one queue: its figures are the node's");
  }

  @Test
  void metricsAnswerOnlyGetWithAProblem() throws Exception {
    for (String path : new String[] {"/metrics", "/v1/metrics"}) {
      HttpResponse<String> r = call("POST", path, "{}");
      assertEquals(405, r.statusCode(), path);
      assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
      assertEquals(405, JSON.readTree(r.body()).get("status").asInt());
    }
  }
}
