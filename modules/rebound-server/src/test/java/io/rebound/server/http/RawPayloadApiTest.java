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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A payload is stored and handed over byte for byte as the producer sent it: big numbers keep
 * their digits, keys their order and duplicates, strings their escapes. The handler is a process
 * that writes its stdin to a file named after the item.
 */
@DisabledOnOs(OS.WINDOWS)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RawPayloadApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final String PAYLOAD =
      "{\"amount\": 12345678901234567.89, \"z\":1,\"a\":2,\"a\":3, \"big\":123456789012345678901234567890, \"e\":1E400, \"s\":\"caf\\u00e9 \\/ x\"}";

  @TempDir static Path dir;
  private static Path seen;
  private static NodeServer node;

  @BeforeAll
  static void startNode() throws Exception {
    seen = Files.createDirectories(dir.resolve("seen"));
    node = TestServers.start(dir.resolve("data"), """
        rebound.http.rate-limit.requests-per-second = 0
        rebound.queues.record.handler {
          type = process
          command = "cat > \\"$OUT/$REBOUND_ITEM_ID.json\\""
          environment { OUT = "%s" }
        }
        """.formatted(seen.toString().replace("\\", "/")));
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    TestServers.asClient(b, method);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String handed(String id) throws Exception {
    Path f = seen.resolve(id + ".json");
    Awaitility.await("the handler ran for " + id).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> Files.exists(f) && call("GET", "/v1/items/" + id, null).body().contains("\"SUCCEEDED\""));
    return Files.readString(f);
  }

  @Test
  void the_handler_gets_the_payload_exactly_as_enqueued_big_numbers_key_order_and_duplicates_included() throws Exception {
    HttpResponse<String> r = call("POST", "/v1/queues/record/items", "{\"key\":\"k1\", \"payload\" :  " + PAYLOAD + "  , \"priority\": 3}");
    assertEquals(201, r.statusCode(), r.body());
    String id = JSON.readTree(r.body()).get("id").asText();

    assertEquals(PAYLOAD, handed(id));
    // Read back, the item carries the same text (no double: 12345678901234567.89 stays).
    String item = call("GET", "/v1/items/" + id, null).body();
    assertTrue(item.contains("\"payload\":" + PAYLOAD), item);
    assertTrue(r.body().contains("12345678901234567.89"), r.body());
  }

  @Test
  void each_item_of_a_batch_keeps_its_own_payload_text() throws Exception {
    String second = "[1.0, 1.10, -0, 0.1e1, \"x\"]";
    HttpResponse<String> r = call("POST", "/v1/queues/record/items/batch",
        "{\"items\":[{\"payload\":" + PAYLOAD + "},{\"payload\":" + second + ",\"key\":\"b2\"}, {\"payload\":12345678901234567.89}]}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode results = JSON.readTree(r.body()).get("results");
    assertEquals(PAYLOAD, handed(results.get(0).get("id").asText()));
    assertEquals(second, handed(results.get(1).get("id").asText()));
    assertEquals("12345678901234567.89", handed(results.get(2).get("id").asText()));
  }

  @Test
  void a_payload_that_is_a_string_or_null_is_kept_too() throws Exception {
    for (String payload : new String[] {"\"plain \\\"text\\\"\"", "null", "true", "{}"}) {
      HttpResponse<String> r = call("POST", "/v1/queues/record/items", "{\"payload\":" + payload + "}");
      assertEquals(201, r.statusCode(), r.body());
      assertEquals(payload, handed(JSON.readTree(r.body()).get("id").asText()));
    }
  }
}
