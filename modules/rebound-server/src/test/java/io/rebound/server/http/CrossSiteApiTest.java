package io.rebound.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Black box: an open node on loopback, as {@code ./rebound start} runs it, sent what any web page
 * in the operator's browser could send it (forms, {@code fetch} with {@code mode: 'no-cors'}, a
 * DNS-rebound host name). Nothing may change; the well-formed request afterwards shows that the
 * same calls work for the CLI and the dashboard. Raw sockets, so every header is exactly as a
 * browser would write it (the JDK client will not send a foreign Host).
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CrossSiteApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ITEM = "{\"payload\":{\"from\":\"evil\"}}";

  @TempDir static Path dir;
  private static NodeServer node;
  private static String host;

  record Raw(int status, String headers, String body) {}

  @BeforeAll
  static void startNode() {
    node = TestServers.start(dir, """
        rebound.http.rate-limit.requests-per-second = 0
        rebound.queues.work { handler.type = simulated }
        """);
    host = "127.0.0.1:" + node.port();
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  /** One request over a fresh connection, headers exactly as given (Host included). */
  static Raw raw(String method, String path, Map<String, String> headers, String body) throws Exception {
    return raw(node.port(), method, path, headers, body);
  }

  static Raw raw(int port, String method, String path, Map<String, String> headers, String body) throws Exception {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
    headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("Content-Length: ").append(content.length).append("\r\nConnection: close\r\n\r\n");
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(content);
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.UTF_8);
      int end = text.indexOf("\r\n\r\n");
      return new Raw(Integer.parseInt(text.substring(9, 12)), text.substring(0, end), text.substring(end + 4));
    }
  }

  private static Map<String, String> headers(String... kv) {
    java.util.LinkedHashMap<String, String> m = new java.util.LinkedHashMap<>();
    m.put("Host", host);
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static JsonNode queue() throws Exception {
    return JSON.readTree(raw("GET", "/v1/queues", headers(), null).body()).get("queues").get(0);
  }

  private static double enqueued() throws Exception {
    return JSON.readTree(raw("GET", "/v1/metrics", headers(), null).body()).get("enqueued").asDouble();
  }

  @Test
  void cross_site_style_writes_to_an_open_node_change_nothing_and_a_client_like_the_cli_still_can() throws Exception {
    List<Map<String, String>> crossSite = List.of(
        headers("Content-Type", "text/plain"),                                         // fetch no-cors, the default type
        headers("Content-Type", "text/plain;charset=UTF-8", "Origin", "https://evil.example"),
        headers("Content-Type", "application/x-www-form-urlencoded"),                  // an HTML form
        headers("Content-Type", "multipart/form-data; boundary=x"),                   // a form with a file
        headers(),                                                                      // no Content-Type at all
        headers("Content-Type", "application/json"),                                    // JSON but no marker header
        headers("Content-Type", "application/json", "Origin", "https://evil.example"),   // a CORS attempt
        headers("Content-Type", "application/json", "Origin", "null", "X-Rebound-Request", "1"), // sandboxed page
        headers("Content-Type", "application/json", "Origin", "http://evil.example:" + node.port(), "X-Rebound-Request", "1"),
        Map.of("Host", "evil.example:" + node.port(), "Content-Type", "application/json", "X-Rebound-Request", "1")); // DNS rebinding
    for (Map<String, String> h : crossSite) {
      Raw pause = raw("POST", "/v1/queues/work/pause", h, "");
      Raw enqueue = raw("POST", "/v1/queues/work/items", h, ITEM);
      Raw batch = raw("POST", "/v1/queues/work/items/batch", h, "{\"items\":[" + ITEM + "]}");
      for (Raw r : List.of(pause, enqueue, batch)) {
        assertTrue(r.status() == 415 || r.status() == 403 || r.status() == 421, h + " -> " + r);
        assertTrue(r.headers().toLowerCase().contains("content-type: application/problem+json"), r.headers());
      }
    }
    assertFalse(queue().get("paused").asBoolean(), "a cross-site request paused the queue");
    assertEquals(0, enqueued(), "a cross-site request enqueued an item");

    // The same calls as the CLI and the dashboard make them.
    Map<String, String> client = headers("Content-Type", "application/json", "X-Rebound-Request", "1");
    assertEquals(200, raw("POST", "/v1/queues/work/pause", client, "").status());
    assertTrue(queue().get("paused").asBoolean());
    assertEquals(200, raw("POST", "/v1/queues/work/resume", client, "").status());
    assertEquals(201, raw("POST", "/v1/queues/work/items", client, ITEM).status());
    // The dashboard's own page: its Origin is the node.
    Map<String, String> dashboard = headers("Content-Type", "application/json", "Origin", "http://" + host);
    assertEquals(201, raw("POST", "/v1/queues/work/items", dashboard, ITEM).status());
    // Metrics count asynchronously, in the order the items publish their transitions: an item of a
    // refused request, answered before these two were sent, would be counted before them.
    Awaitility.await("the two counted").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> enqueued() >= 2);
    assertEquals(2, enqueued(), "only the two well-formed requests enqueued");
  }

  @Test
  void each_refusal_says_why_with_its_own_status() throws Exception {
    assertEquals(415, raw("POST", "/v1/queues/work/pause", headers("Content-Type", "text/plain"), "").status());
    assertEquals(415, raw("POST", "/v1/queues/work/pause", headers(), "").status());
    Raw noMarker = raw("POST", "/v1/queues/work/pause", headers("Content-Type", "application/json"), "");
    assertEquals(403, noMarker.status());
    assertTrue(noMarker.body().contains("X-Rebound-Request"), noMarker.body());
    assertEquals(421, raw("GET", "/v1/queues", Map.of("Host", "evil.example:" + node.port()), null).status());
    assertEquals(421, raw("GET", "/", Map.of("Host", "evil.example"), null).status());
    assertFalse(queue().get("paused").asBoolean());
  }

  @Test
  void reads_and_the_dashboard_need_no_header_under_the_node_s_own_names() throws Exception {
    for (String name : List.of(host, "localhost:" + node.port(), "LOCALHOST", "127.0.0.1")) {
      assertEquals(200, raw("GET", "/v1/queues", Map.of("Host", name), null).status(), name);
    }
    Raw page = raw("GET", "/", headers(), null);
    assertEquals(200, page.status());
    Raw js = raw("GET", "/dashboard/app.js", headers(), null);
    assertTrue(js.body().contains("X-Rebound-Request"), "the dashboard sends the header on writes");
  }

  @Test
  void a_node_with_tokens_also_refuses_writes_that_are_not_json_or_come_from_another_site(@TempDir Path other) throws Exception {
    String token = "operator-token-0123456789abcdef";
    try (NodeServer secured = TestServers.start(other, """
        rebound.http.auth.tokens = [{ token = "%s", role = operator }]
        rebound.queues.work { handler.type = simulated }
        """.formatted(token))) {
      java.net.http.HttpClient c = java.net.http.HttpClient.newHttpClient();
      java.util.function.BiFunction<String, String[], Integer> post = (type, extra) -> {
        var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(secured.url() + "/v1/queues/work/pause"))
            .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
            .POST(java.net.http.HttpRequest.BodyPublishers.noBody());
        if (type != null) {
          b.header("Content-Type", type);
        }
        for (int i = 0; i < extra.length; i += 2) {
          b.header(extra[i], extra[i + 1]);
        }
        try {
          return c.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      assertEquals(415, post.apply("text/plain", new String[0]));
      assertEquals(403, post.apply("application/json", new String[] {"Origin", "https://evil.example"}));
      // With a token, the marker header is not needed: a page cannot send the token cross-site.
      assertEquals(200, post.apply("application/json", new String[0]));
    }
  }
}
