package io.rebound.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random methods, paths, queries, headers and bodies against a live node with tokens: whatever
 * arrives, the answer is never a 5xx and the node keeps answering.
 */
class HttpFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OPERATOR = "fuzz-operator-token-0123456789";
  private static final String VIEWER = "fuzz-viewer-token-0123456789";
  private static final List<String> SEGMENTS = List.of("v1", "queues", "work", "items", "batch", "history", "cancel", "redrive",
      "tools", "db", "parked", "release", "metrics", "stats", "alerts", "dead-letters", "pause", "resume", "nope");
  private static final List<String> ODD_SEGMENTS = List.of("%2F", "%00", "..", ".", "%25", "%FF%FE", "%20", "~", "a;b=c", "");
  private static final List<String> FIELDS = List.of("payload", "key", "priority", "delay", "maxAttempts", "retry", "items",
      "backoff", "initial", "multiplier", "maxInterval", "schedule", "jitter", "errorKind", "from", "to", "max", "ms", "fail", "x");

  private static Path dir;
  private static NodeServer node;
  private static HttpClient client;

  @BeforeContainer
  static void startNode() throws Exception {
    dir = Files.createTempDirectory("rebound-fuzz");
    node = TestServers.start(dir, """
        rebound.http.max-payload = 4KiB
        rebound.http.max-batch = 10
        rebound.http.auth.tokens = [{ token = "%s", role = operator }, { token = "%s", role = viewer }]
        rebound.http.rate-limit.requests-per-second = 0
        rebound.shutdown-timeout = 1s
        rebound.queues.work { handler.type = simulated, concurrency = 2, retry { max-attempts = 2, initial = 10ms } }
        """.formatted(OPERATOR, VIEWER));
    client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterContainer
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  record Call(String method, String path, String authorization, String contentType, String body) {}

  @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED)
  void noRequestGetsA5xxOrStopsTheNode(@ForAll("calls") Call call) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + call.path())).timeout(Duration.ofSeconds(30));
    b.method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(call.body(), StandardCharsets.UTF_8));
    if (call.authorization() != null) {
      b.header("Authorization", call.authorization());
    }
    if (call.contentType() != null) {
      b.header("Content-Type", call.contentType());
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() < 500, call + " -> " + r.statusCode() + " " + r.body());
    if (r.statusCode() >= 400 && !call.method().equals("HEAD") && !r.body().isEmpty()) {
      assertTrue(!r.body().contains("Exception") && !r.body().contains("\tat "), "internal text in " + r.body());
    }
    HttpResponse<String> alive = client.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/queues"))
        .header("Authorization", "Bearer " + VIEWER).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, alive.statusCode(), "the node stopped answering after " + call);
  }

  @Provide
  Arbitrary<Call> calls() {
    // Registered methods only: an unknown one is answered 501 by Pekko's parser, as RFC 9110 asks.
    Arbitrary<String> method = Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE");
    Arbitrary<String> auth = Arbitraries.frequencyOf(
        Tuple.of(5, Arbitraries.just("Bearer " + OPERATOR)),
        Tuple.of(2, Arbitraries.just("Bearer " + VIEWER)),
        Tuple.of(1, Arbitraries.just(null)),
        Tuple.of(1, Arbitraries.strings().withCharRange('!', '~').ofMaxLength(40).map(s -> "Bearer " + s)),
        Tuple.of(1, Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(40).map(String::strip)
            .filter(s -> !s.isEmpty())));
    Arbitrary<String> contentType = Arbitraries.of("application/json", "application/json", "text/plain",
        "application/x-www-form-urlencoded", "application/json; charset=ISO-8859-1", "multipart/form-data; boundary=x", "xx");
    Arbitrary<String> body = Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.just(null)),
        Tuple.of(6, json(3)),
        Tuple.of(2, Combinators.combine(json(2).list().ofMaxSize(12), Arbitraries.of("items", "x"))
            .as((items, f) -> "{\"" + f + "\":[" + String.join(",", items) + "]}")),
        Tuple.of(1, Arbitraries.strings().ofMaxLength(200)),
        Tuple.of(1, Arbitraries.strings().withChars("{}[]\":,0123456789eE.-+tfnul\\ ").ofMaxLength(60)),
        Tuple.of(1, Arbitraries.integers().between(1, 20_000).map(n -> "{\"payload\":\"" + "x".repeat(n) + "\"}")),
        Tuple.of(1, Arbitraries.integers().between(1, 3000).map(n -> "[".repeat(n) + "]".repeat(n))));
    return Combinators.combine(method, path(), auth, contentType, body).as(Call::new);
  }

  private static Arbitrary<String> path() {
    Arbitrary<String> segment = Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.of(SEGMENTS)),
        Tuple.of(1, Arbitraries.of(ODD_SEGMENTS)),
        Tuple.of(2, Arbitraries.strings().ofMaxLength(30).map(HttpFuzzTest::encode)),
        Tuple.of(1, Arbitraries.integers().between(1, 3000).map(n -> "k".repeat(n))));
    Arbitrary<String> query = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.just("")),
        Tuple.of(2, Combinators.combine(Arbitraries.of("limit", "status", "errorKind", "after", "x", ""),
                Arbitraries.oneOf(Arbitraries.of("0", "1", "-1", "99999999999", "DEAD_LETTERED", "dead-lettered", "TRANSIENT", "abc"),
                    Arbitraries.strings().ofMaxLength(20).map(HttpFuzzTest::encode)))
            .as((k, v) -> k + "=" + v).list().ofMinSize(1).ofMaxSize(4).map(l -> "?" + String.join("&", l))));
    return Combinators.combine(segment.list().ofMaxSize(6), Arbitraries.of("", "/"), query)
        .as((segments, slash, q) -> "/" + String.join("/", segments) + slash + q);
  }

  private static Arbitrary<String> json(int depth) {
    Arbitrary<String> scalar = Arbitraries.oneOf(
        Arbitraries.integers().map(String::valueOf),
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.doubles().map(String::valueOf),
        Arbitraries.strings().ofMaxLength(20).map(HttpFuzzTest::quote),
        Arbitraries.of("true", "false", "null", "\"PT1S\"", "\"10ms\"", "\"-5s\"", "\"exponential\"", "\"schedule\"",
            "\"TRANSIENT\"", "\"2026-01-01T00:00:00Z\"", "1e400", "-0", "\"\""));
    if (depth == 0) {
      return scalar;
    }
    Arbitrary<String> array = json(depth - 1).list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]");
    Arbitrary<String> object = Combinators.combine(Arbitraries.oneOf(Arbitraries.of(FIELDS), Arbitraries.strings().ofMaxLength(8)),
            json(depth - 1))
        .as((k, v) -> quote(k) + ":" + v).list().ofMaxSize(6).map(l -> "{" + String.join(",", l) + "}");
    return Arbitraries.frequencyOf(Tuple.of(3, scalar), Tuple.of(1, array), Tuple.of(4, object));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

}
