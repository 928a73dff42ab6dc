package io.rebound.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.api.TransientException;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.handler.Handlers;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HttpHandlerTest {
  private static final String PAYLOAD = "{\"to\":\"ada@example.com\",\"n\":1}";

  /** What the server answers; set by each test. */
  private interface Responder {
    void respond(HttpExchange ex) throws Exception;
  }

  /** What the server saw of the last request. */
  private record Seen(String method, String path, Map<String, List<String>> headers, String body) {
    String header(String name) {
      // HttpServer normalises header names: first letter upper case, the rest lower case.
      List<String> v = headers.get(name.substring(0, 1).toUpperCase() + name.substring(1).toLowerCase());
      return v == null ? null : String.join(",", v);
    }
  }

  private HttpServer server;
  private ExecutorService serverThreads;
  private volatile Responder responder = ex -> reply(ex, 200, "ok", Map.of());
  private volatile Seen seen;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    serverThreads = Executors.newCachedThreadPool();
    server.setExecutor(serverThreads);
    server.createContext("/", ex -> {
      try (ex) {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        seen = new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body);
        responder.respond(ex);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        throw new IOException(e);
      }
    });
    server.start();
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    server.stop(0);
    serverThreads.shutdownNow();
    serverThreads.awaitTermination(5, TimeUnit.SECONDS);
  }

  private static void reply(HttpExchange ex, int status, String body, Map<String, String> headers) throws IOException {
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  private static JobHandler handler(String config) {
    return HttpHandler.fromConfig(ConfigFactory.parseString(config));
  }

  private JobHandler handlerFor(String path) {
    return handler("type = http, url = \"" + url(path) + "\", timeout = 3s");
  }

  private static FakeContext ctx() {
    return new FakeContext("item-42", "emails", 3, PAYLOAD);
  }

  private static <T extends Throwable> T failure(Class<T> type, JobHandler h) {
    Executable call = () -> h.handle(ctx()).toCompletableFuture().join();
    return assertThrows(type, call);
  }

  @Test
  void a_2xx_answer_is_success_and_the_server_sees_the_payload_and_the_rebound_headers() throws Exception {
    responder = ex -> reply(ex, 204, "", Map.of());
    handlerFor("/hooks/email").handle(ctx()).toCompletableFuture().join();

    assertEquals("POST", seen.method());
    assertEquals("/hooks/email", seen.path());
    assertEquals(PAYLOAD, seen.body());
    assertEquals("application/json", seen.header("Content-Type"));
    assertEquals("item-42", seen.header("Rebound-Item-Id"));
    assertEquals("3", seen.header("Rebound-Attempt"));
    assertEquals("3", seen.header("Rebound-Execution"), "the fencing token");
  }

  @Test
  void configured_headers_are_sent_with_the_request() throws Exception {
    JobHandler h = handler("url = \"" + url("/") + "\", headers { X-Token = \"s3cret\", X-Tenant = 7 }");
    h.handle(ctx()).toCompletableFuture().join();

    assertEquals("s3cret", seen.header("X-Token"));
    assertEquals("7", seen.header("X-Tenant"));
    assertEquals("item-42", seen.header("Rebound-Item-Id"));
  }

  @Test
  void a_large_2xx_body_does_not_fail_the_attempt() throws Exception {
    responder = ex -> reply(ex, 200, "y".repeat(200_000), Map.of());
    handlerFor("/").handle(ctx()).toCompletableFuture().join();
  }

  @Test
  void a_500_is_transient_with_the_status_and_body_in_the_message() {
    responder = ex -> reply(ex, 500, "database on fire", Map.of());
    TransientException e = failure(TransientException.class, handlerFor("/"));
    assertEquals("HTTP 500: database on fire", e.getMessage());
    assertTrue(e.retryAfter().isEmpty());
  }

  @Test
  void a_503_with_retry_after_in_seconds_is_transient_with_that_delay() {
    responder = ex -> reply(ex, 503, "busy", Map.of("Retry-After", "7"));
    TransientException e = failure(TransientException.class, handlerFor("/"));
    assertEquals("HTTP 503: busy", e.getMessage());
    assertEquals(Duration.ofSeconds(7), e.retryAfter().orElseThrow());
  }

  @Test
  void a_429_with_retry_after_as_an_http_date_is_transient_with_the_time_until_then() {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().plusSeconds(120).atZone(ZoneOffset.UTC));
    responder = ex -> reply(ex, 429, "slow down", Map.of("Retry-After", date));
    TransientException e = failure(TransientException.class, handlerFor("/"));
    assertEquals("HTTP 429: slow down", e.getMessage());
    Duration d = e.retryAfter().orElseThrow();
    assertTrue(d.compareTo(Duration.ofSeconds(110)) >= 0 && d.compareTo(Duration.ofSeconds(121)) <= 0, "retryAfter " + d);
  }

  @Test
  void a_408_is_transient_and_a_retry_after_that_is_not_understood_is_ignored() {
    responder = ex -> reply(ex, 408, "", Map.of("Retry-After", "whenever"));
    TransientException e = failure(TransientException.class, handlerFor("/"));
    assertEquals("HTTP 408: ", e.getMessage());
    assertTrue(e.retryAfter().isEmpty());
  }

  @Test
  void a_404_is_permanent() {
    responder = ex -> reply(ex, 404, "no such hook", Map.of());
    PermanentException e = failure(PermanentException.class, handlerFor("/"));
    assertEquals("HTTP 404: no such hook", e.getMessage());
  }

  @Test
  void a_redirect_is_not_followed_and_is_permanent() {
    responder = ex -> reply(ex, 301, "", Map.of("Location", url("/elsewhere")));
    PermanentException e = failure(PermanentException.class, handlerFor("/"));
    assertEquals("HTTP 301: ", e.getMessage());
  }

  @Test
  void the_body_in_the_message_is_cut_to_2048_characters() {
    String body = "é".repeat(1000) + "x".repeat(4000);
    responder = ex -> reply(ex, 400, body, Map.of("Content-Type", "text/plain; charset=utf-8"));
    PermanentException e = failure(PermanentException.class, handlerFor("/"));
    assertEquals("HTTP 400: " + body.substring(0, 2048), e.getMessage());
  }

  @Test
  void a_refused_connection_is_transient() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    TransientException e = failure(TransientException.class, handler("url = \"http://127.0.0.1:" + port + "/\", timeout = 2s"));
    assertTrue(e.getMessage().startsWith("connection failed: "), e.getMessage());
  }

  @Test
  void a_server_slower_than_the_timeout_is_transient() {
    responder = ex -> {
      Thread.sleep(3_000);
      reply(ex, 200, "too late", Map.of());
    };
    JobHandler h = handler("url = \"" + url("/") + "\", timeout = 300ms");
    long start = System.nanoTime();
    TransientException e = failure(TransientException.class, h);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(e.getMessage().startsWith("timed out after 300ms"), e.getMessage());
    assertTrue(ms < 2_000, "took " + ms + " ms");
  }

  @Test
  void retry_after_values_are_read_as_seconds_or_http_dates_and_capped() {
    Instant now = Instant.parse("2025-01-01T00:00:00Z");
    assertEquals(Duration.ofSeconds(7), HttpHandler.retryAfter(" 7 ", now).orElseThrow());
    assertEquals(Duration.ofMinutes(1), HttpHandler.retryAfter("Wed, 01 Jan 2025 00:01:00 GMT", now).orElseThrow());
    assertEquals(Duration.ZERO, HttpHandler.retryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now).orElseThrow());
    assertEquals(HttpHandler.MAX_RETRY_AFTER, HttpHandler.retryAfter("99999999999999999999", now).orElseThrow());
    assertTrue(HttpHandler.retryAfter("-5", now).isEmpty());
    assertTrue(HttpHandler.retryAfter("soon", now).isEmpty());
  }

  @Test
  void a_missing_url_is_a_config_error_naming_url() {
    assertConfigError("url", "type = http");
  }

  @Test
  void a_relative_or_non_http_url_is_a_config_error_naming_url() {
    assertConfigError("url", "url = \"/hooks/email\"");
    assertConfigError("url", "url = \"ftp://example.com/x\"");
    assertConfigError("url", "url = \"http://exa mple.com/\"");
    assertConfigError("url", "url { a = 1 }");
  }

  @Test
  void a_bad_timeout_is_a_config_error_naming_timeout() {
    assertConfigError("timeout", "url = \"http://127.0.0.1/\", timeout = 0s");
    assertConfigError("timeout", "url = \"http://127.0.0.1/\", timeout = -5s");
    assertConfigError("timeout", "url = \"http://127.0.0.1/\", timeout = soon");
  }

  @Test
  void bad_headers_are_config_errors_naming_the_header() {
    assertConfigError("headers.Host", "url = \"http://127.0.0.1/\", headers { Host = \"x\" }");
    assertConfigError("headers.Rebound-Attempt", "url = \"http://127.0.0.1/\", headers { Rebound-Attempt = \"9\" }");
    assertConfigError("headers.X-List", "url = \"http://127.0.0.1/\", headers { X-List = [1, 2] }");
    assertConfigError("headers", "url = \"http://127.0.0.1/\", headers = \"X-Token: 1\"");
  }

  @Test
  void config_errors_are_reported_under_the_queues_handler_key() {
    Config block = ConfigFactory.parseString("type = http, url = \"hooks\"");
    Handlers handlers = new Handlers().with("http", HttpHandler::fromConfig);
    ReboundConfigException e =
        assertThrows(ReboundConfigException.class, () -> handlers.resolve(Map.of(), Map.of("emails", block)));
    assertEquals("rebound.queues.emails.handler.url", e.key());
  }

  private static void assertConfigError(String key, String config) {
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> handler(config), config);
    assertEquals(key, e.key(), e.getMessage());
    assertInstanceOf(ReboundConfigException.class, e);
  }
}
