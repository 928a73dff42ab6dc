package io.rebound.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rebound.api.RetryPolicy;
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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CLI's check of an item line and the HTTP API's enqueue accept and refuse the same objects,
 * with the same message: each input goes to a real node over HTTP and through {@link ItemLines}
 * with that queue's policy. (Only the node's {@code rebound.http} limits are the node's alone.)
 */
class EnqueueParsersAgreeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  /** The queue's policy as configured below. */
  private static final RetryPolicy QUEUE_POLICY =
      RetryPolicy.builder().initial(Duration.ofSeconds(2)).maxInterval(Duration.ofMinutes(1)).build();
  private static NodeServer node;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestServers.start(Files.createTempDirectory("rebound-parsers"), """
        rebound.queues.q { handler.type = simulated, retry { initial = 2s, max-interval = 1m } }
        """);
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  @ParameterizedTest(name = "accepted by both: {0}")
  @ValueSource(strings = {
      "{\"payload\":{\"a\":1}}",
      "{\"payload\":null}",
      "{\"payload\":[1,2],\"key\":\"k\",\"group\":\"g\",\"priority\":9,\"delay\":\"1h\",\"maxAttempts\":3}",
      "{\"payload\":1,\"delay\":\"PT30S\",\"retry\":{\"initial\":\"5s\",\"maxInterval\":\"10s\",\"multiplier\":1.5}}",
      // A maxInterval not given follows initial up, over the queue's as over a new policy.
      "{\"payload\":1,\"retry\":{\"initial\":\"2m\"}}",
      "{\"payload\":1,\"retry\":{\"schedule\":[\"1s\",\"5s\"],\"backoff\":\"exponential\",\"jitter\":\"none\"}}",
      "{\"payload\":1,\"key\":null,\"retry\":null}"})
  void bothAcceptTheSameObjects(String body) throws Exception {
    HttpResponse<String> http = post(body);
    assertTrue(http.statusCode() == 201 || http.statusCode() == 200, http.body());
    ItemLines.request((ObjectNode) JSON.readTree(body), QUEUE_POLICY);
  }

  @ParameterizedTest(name = "refused by both: {0}")
  @ValueSource(strings = {
      "{}",
      "{\"payload\":1,\"colour\":\"red\"}",
      "{\"payload\":1,\"key\":7}",
      "{\"payload\":1,\"key\":\"a\\u0001b\"}",
      "{\"payload\":1,\"priority\":12}",
      "{\"payload\":1,\"priority\":\"high\"}",
      "{\"payload\":1,\"delay\":\"soon\"}",
      "{\"payload\":1,\"delay\":30}",
      "{\"payload\":1,\"maxAttempts\":0}",
      "{\"payload\":1,\"retry\":5}",
      "{\"payload\":1,\"retry\":{\"tries\":3}}",
      "{\"payload\":1,\"retry\":{\"maxInterval\":\"1s\"}}",
      "{\"payload\":1,\"retry\":{\"maxInterval\":\"1s\",\"initial\":\"3s\"}}",
      "{\"payload\":1,\"retry\":{\"initial\":\"soon\"}}",
      "{\"payload\":1,\"retry\":{\"multiplier\":\"2\"}}",
      "{\"payload\":1,\"retry\":{\"multiplier\":0.5}}",
      "{\"payload\":1,\"retry\":{\"schedule\":\"1s\"}}",
      "{\"payload\":1,\"retry\":{\"schedule\":[]}}",
      "{\"payload\":1,\"retry\":{\"backoff\":\"linear\"}}",
      "{\"payload\":1,\"retry\":{\"jitter\":\"sometimes\"}}"})
  void bothRefuseTheSameObjectsWithTheSameMessage(String body) throws Exception {
    HttpResponse<String> http = post(body);
    assertEquals(400, http.statusCode(), http.body());
    List<String> httpErrors = new ArrayList<>();
    JsonNode errors = JSON.readTree(http.body()).get("errors");
    for (Iterator<Map.Entry<String, JsonNode>> it = errors.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      httpErrors.add(e.getKey() + " " + e.getValue().asText());
    }
    IllegalArgumentException cli = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ItemLines.request((ObjectNode) JSON.readTree(body), QUEUE_POLICY));
    assertEquals(httpErrors.get(0), cli.getMessage(), "HTTP said " + httpErrors);
  }

  private static HttpResponse<String> post(String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + "/v1/queues/q/items"))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body));
    return CLIENT.send(TestServers.asClient(b, "POST").build(), HttpResponse.BodyHandlers.ofString());
  }
}
