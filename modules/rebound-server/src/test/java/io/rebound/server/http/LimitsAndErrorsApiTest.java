package io.rebound.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import io.rebound.server.security.AuthSettings;
import io.rebound.server.security.RateLimitSettings;
import io.rebound.server.security.RateLimiter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits answer 400/413/429, and no error body carries internal text. */
class LimitsAndErrorsApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private static NodeServer node;

  @BeforeAll
  static void startNode() {
    node = TestServers.start(dir.resolve("data"), """
        rebound.http.max-payload = 1KiB
        rebound.http.max-batch = 3
        rebound.queues.work { handler.type = simulated }
        """);
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static HttpResponse<String> send(String base, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    TestServers.asClient(b, method);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode problem(HttpResponse<String> r, int status) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
    return JSON.readTree(r.body());
  }

  @Test
  void aKeyLongerThan512CharactersIs400NamingTheKey() throws Exception {
    JsonNode p = problem(send(node.url(), "POST", "/v1/queues/work/items", "{\"payload\":{},\"key\":\"" + "k".repeat(513) + "\"}"), 400);
    assertTrue(p.get("errors").has("key"), p.toString());
  }

  @Test
  void aKeyHoldingNulIs400NamingTheKey() throws Exception {
    JsonNode p = problem(send(node.url(), "POST", "/v1/queues/work/items", "{\"payload\":{},\"key\":\"a\\u0000b\"}"), 400);
    assertTrue(p.get("errors").has("key"), p.toString());
    assertTrue(p.get("errors").get("key").asText().contains("control characters"), p.toString());
  }

  @Test
  void aBatchOverTheLimitIs400AndAPayloadOverTheLimitIs413() throws Exception {
    problem(send(node.url(), "POST", "/v1/queues/work/items/batch", "{\"items\":[{\"payload\":1},{\"payload\":2},{\"payload\":3},{\"payload\":4}]}"), 400);
    problem(send(node.url(), "POST", "/v1/queues/work/items", "{\"payload\":\"" + "x".repeat(2000) + "\"}"), 413);
  }

  @Test
  void wrongTokensSpendTheCallersRateSoTheyCannotBeGuessedAtFullSpeed() throws Exception {
    AuthSettings auth = AuthSettings.builder().token("test", io.rebound.server.security.Role.VIEWER, "the-right-token-0123456789").build();
    HttpApi api = new HttpApi(node.rebound(), 1024, 3, auth, new RateLimiter(new RateLimitSettings(0.01, 2)));
    ServerBinding binding = Http.get(node.rebound().system()).newServerAt("127.0.0.1", 0)
        .adaptSettings(s -> s.withRemoteAddressAttribute(true))
        .bind(api.route()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      String base = "http://127.0.0.1:" + binding.localAddress().getPort();
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> wrong = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/queues"))
            .header("Authorization", "Bearer wrong-guess-number-" + i).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, wrong.statusCode());
      }
      HttpResponse<String> third = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/queues"))
          .header("Authorization", "Bearer wrong-guess-number-2").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(429, third.statusCode(), third.body());
      assertTrue(third.headers().firstValue("Retry-After").isPresent());
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aCallerOverItsRateIsAnswered429WithRetryAfterAndOthersAreNot() throws Exception {
    // A second binding of the same node with a tight limit: two at once, then one per 100 s (so a
    // slow machine cannot refill the bucket between the requests).
    HttpApi api = new HttpApi(node.rebound(), 1024, 3, AuthSettings.open(), new RateLimiter(new RateLimitSettings(0.01, 2)));
    ServerBinding binding = Http.get(node.rebound().system()).newServerAt("127.0.0.1", 0)
        .adaptSettings(s -> s.withRemoteAddressAttribute(true))
        .bind(api.route()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      String base = "http://127.0.0.1:" + binding.localAddress().getPort();
      assertEquals(200, send(base, "GET", "/v1/queues", null).statusCode());
      assertEquals(200, send(base, "GET", "/v1/queues", null).statusCode());
      HttpResponse<String> limited = send(base, "GET", "/v1/queues", null);
      JsonNode p = problem(limited, 429);
      long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElse("0"));
      assertTrue(retryAfter >= 1 && retryAfter <= 100, "Retry-After " + retryAfter + " " + p);
      // The node's own binding has its own (default) limit.
      assertEquals(200, send(node.url(), "GET", "/v1/queues", null).statusCode());
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void malformedJsonSaysWhereButNeverEchoesTheParsersText() throws Exception {
    JsonNode p = problem(send(node.url(), "POST", "/v1/queues/work/items", "{\"payload\": SECRET_MARKER_123}"), 400);
    String detail = p.get("detail").asText();
    assertTrue(detail.contains("line 1"), detail);
    assertFalse(p.toString().contains("SECRET_MARKER_123"), p.toString());
    assertFalse(p.toString().toLowerCase().contains("token"), p.toString());
  }

  @Test
  void anUnexpectedErrorIsA500WithoutItsMessageOrStackTrace() {
    Problem p = HttpApi.problemOf(new IllegalStateException("db password is hunter2 at com.example.Secret"));
    assertEquals(500, p.status());
    assertFalse(p.toString().contains("hunter2"), p.toString());
    assertFalse(p.toString().contains("com.example"), p.toString());
    assertFalse(p.toString().contains("Exception"), p.toString());
  }
}
