package io.rebound.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch bodies, per-item policies and history pages have bounds; past them, the node refuses early. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BoundedInputApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final long MiB = 1024 * 1024;

  @TempDir static Path dir;
  private static NodeServer node;

  @BeforeAll
  static void startNode() {
    // The defaults of reference.conf: max-batch-body 16MiB, item-policy { max-attempts 100, min-interval 100ms, max-schedule 100 }.
    node = TestServers.start(dir, """
        rebound.http.rate-limit { requests-per-second = 0, bytes-per-second = 0 }
        rebound.queues.work { handler.type = simulated, retry { max-attempts = 3, initial = 10ms, jitter = none } }
        """);
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  record Answer(int status, JsonNode json) {}

  static Answer call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(30));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    TestServers.asClient(b, method);
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
  }

  /** The heap in use after a full collection, in bytes. */
  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  /**
   * Sends a 200 MiB batch (items of 1 KiB payloads), with a Content-Length or chunked, from a
   * writer thread, and reads the answer meanwhile. Returns the status and how much the node took.
   */
  private static long[] sendHugeBatch(boolean chunked) throws Exception {
    long total = 200 * MiB;
    AtomicLong sent = new AtomicLong();
    try (Socket s = new Socket("127.0.0.1", node.port())) {
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      String head = "POST /v1/queues/work/items/batch HTTP/1.1\r\nHost: 127.0.0.1:" + node.port()
          + "\r\nContent-Type: application/json\r\nX-Rebound-Request: 1\r\n"
          + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + total + "\r\n") + "\r\n";
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      byte[] item = ("{\"payload\":\"" + "x".repeat(1000) + "\"},").getBytes(StandardCharsets.US_ASCII);
      byte[] block = new byte[64 * 1024];
      for (int i = 0; i + item.length <= block.length; i += item.length) {
        System.arraycopy(item, 0, block, i, item.length);
      }
      Thread writer = new Thread(() -> {
        try {
          byte[] start = "{\"items\":[".getBytes(StandardCharsets.US_ASCII);
          if (chunked) {
            out.write((Integer.toHexString(start.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          }
          out.write(start);
          if (chunked) {
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          }
          while (sent.get() < total) {
            if (chunked) {
              out.write((Integer.toHexString(block.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.write(block);
            if (chunked) {
              out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            sent.addAndGet(block.length);
          }
        } catch (Exception e) {
          // the node closed the connection: what we want
        }
      });
      writer.setDaemon(true);
      writer.start();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      String status = in.readLine();
      long taken = sent.get();
      s.close();
      writer.join(10_000);
      return new long[] {Long.parseLong(status.substring(9, 12)), taken};
    }
  }

  @Test
  void a_200_MiB_batch_with_a_content_length_is_refused_before_it_is_read_and_the_heap_does_not_grow() throws Exception {
    long before = usedHeap();
    long[] r = sendHugeBatch(false);
    long grown = usedHeap() - before;
    assertEquals(413, r[0]);
    assertTrue(r[1] < 32 * MiB, "the node read " + r[1] / MiB + " MiB before refusing");
    assertTrue(grown < 32 * MiB, "the heap grew by " + grown / MiB + " MiB");
  }

  @Test
  void a_200_MiB_chunked_batch_is_refused_once_it_passes_the_limit_and_the_heap_does_not_grow() throws Exception {
    long before = usedHeap();
    long[] r = sendHugeBatch(true);
    long grown = usedHeap() - before;
    assertEquals(413, r[0]);
    assertTrue(r[1] < 64 * MiB, "the node read " + r[1] / MiB + " MiB before refusing");
    assertTrue(grown < 32 * MiB, "the heap grew by " + grown / MiB + " MiB");
  }

  @Test
  void a_batch_within_the_body_limit_is_still_accepted() throws Exception {
    Answer a = call("POST", "/v1/queues/work/items/batch", "{\"items\":[{\"payload\":1},{\"payload\":2}]}");
    assertEquals(200, a.status(), String.valueOf(a.json()));
    assertEquals(2, a.json().get("results").size());
  }

  @Test
  void an_item_may_not_ask_for_more_attempts_or_shorter_backoff_than_the_item_policy_bounds() throws Exception {
    Answer many = call("POST", "/v1/queues/work/items", "{\"payload\":{},\"maxAttempts\":10000,\"retry\":{\"initial\":\"0s\"}}");
    assertEquals(400, many.status());
    assertTrue(many.json().get("errors").get("maxAttempts").asText().contains("at most 100"), many.json().toString());
    assertTrue(many.json().get("errors").get("retry.initial").asText().contains("at least 100ms"), many.json().toString());

    String longSchedule = "[" + String.join(",", java.util.Collections.nCopies(101, "\"1s\"")) + "]";
    Answer steps = call("POST", "/v1/queues/work/items",
        "{\"payload\":{},\"retry\":{\"maxAttempts\":101,\"schedule\":" + longSchedule + ",\"maxInterval\":\"1ms\"}}");
    assertEquals(400, steps.status());
    assertTrue(steps.json().get("errors").has("retry.maxAttempts"), steps.json().toString());
    assertTrue(steps.json().get("errors").has("retry.schedule"), steps.json().toString());
    assertTrue(steps.json().get("errors").has("retry.maxInterval"), steps.json().toString());

    Answer batch = call("POST", "/v1/queues/work/items/batch", "{\"items\":[{\"payload\":1},{\"payload\":2,\"maxAttempts\":5000}]}");
    assertEquals(400, batch.status());
    assertTrue(batch.json().get("errors").has("items[1].maxAttempts"), batch.json().toString());

    Answer ok = call("POST", "/v1/queues/work/items", "{\"payload\":{},\"maxAttempts\":100,\"retry\":{\"initial\":\"100ms\",\"schedule\":[\"1s\",\"5s\"]}}");
    assertEquals(201, ok.status(), String.valueOf(ok.json()));
  }

  @Test
  void history_comes_in_pages_when_asked_and_whole_otherwise() throws Exception {
    String id = call("POST", "/v1/queues/work/items", "{\"payload\":{\"fail\":2}}").json().get("id").asText();
    JsonNode whole = Awaitility.await("the item succeeded").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> call("GET", "/v1/items/" + id + "/history", null).json(), h -> h.toString().contains("\"succeeded\""));
    assertFalse(whole.has("next"), "the old shape, unasked: " + whole);
    int events = whole.get("events").size();
    assertTrue(events >= 5, whole.toString());

    List<JsonNode> paged = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      JsonNode page = call("GET", "/v1/items/" + id + "/history?limit=2" + (after == null ? "" : "&after=" + after), null).json();
      assertTrue(page.get("events").size() <= 2);
      page.get("events").forEach(paged::add);
      after = page.get("next").isNull() ? null : page.get("next").asText();
      pages++;
    } while (after != null && pages < 100);
    assertEquals(events, paged.size());
    for (int i = 0; i < events; i++) {
      assertEquals(whole.get("events").get(i), paged.get(i));
    }
    for (String bad : Arrays.asList("limit=0", "limit=1001", "limit=x", "after=-1")) {
      assertEquals(400, call("GET", "/v1/items/" + id + "/history?" + bad, null).status(), bad);
    }
  }

  @Test
  void a_caller_over_its_byte_rate_waits_while_small_requests_still_pass(@TempDir Path other) throws Exception {
    try (NodeServer limited = TestServers.start(other, """
        rebound.http.rate-limit { requests-per-second = 1000, burst = 1000, bytes-per-second = 1KiB, bytes-burst = 4KiB }
        rebound.queues.work { handler.type = simulated }
        """)) {
      String body = "{\"payload\":\"" + "x".repeat(3000) + "\"}";
      java.util.function.Function<String, HttpResponse<String>> post = text -> {
        try {
          return CLIENT.send(TestServers.asClient(HttpRequest.newBuilder(URI.create(limited.url() + "/v1/queues/work/items"))
              .timeout(Duration.ofSeconds(30)), "POST").POST(HttpRequest.BodyPublishers.ofString(text)).build(),
              HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      };
      assertEquals(201, post.apply(body).statusCode());
      HttpResponse<String> second = post.apply(body);
      assertEquals(429, second.statusCode(), second.body());
      assertTrue(second.headers().firstValue("Retry-After").isPresent());
      // Small bodies and reads still pass: the request rate is not spent.
      assertEquals(201, post.apply("{\"payload\":1}").statusCode());
      assertEquals(200, CLIENT.send(HttpRequest.newBuilder(URI.create(limited.url() + "/v1/queues")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }
}
