package io.rebound.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** JSON over HTTP to a node's API and its Pekko Management. */
final class Api {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Api() {}

  /** A response: its status code and JSON body (null when the body is not JSON). */
  record Reply(int status, JsonNode body, String text) {
    boolean ok() {
      return status / 100 == 2;
    }
  }

  static Reply get(String url) throws IOException, InterruptedException {
    return get(url, Duration.ofSeconds(40));
  }

  /** A GET that waits out the node's per-caller rate limit (429, Retry-After) for up to a minute. */
  static Reply getPatiently(String url) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      Reply r = get(url);
      if (r.status() != 429 || System.nanoTime() > deadline) {
        return r;
      }
      Thread.sleep(1000);
    }
  }

  static Reply get(String url, Duration timeout) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build());
  }

  static Reply post(String url, String body) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("X-Rebound-Request", "1").POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** A GET that completes with null on any failure, for polling many items at once. */
  static CompletableFuture<Reply> getAsync(String url) {
    HttpRequest r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(40)).GET().build();
    return CLIENT.sendAsync(r, HttpResponse.BodyHandlers.ofString()).thenApply(Api::reply).exceptionally(e -> null);
  }

  private static Reply send(HttpRequest r) throws IOException, InterruptedException {
    return reply(CLIENT.send(r, HttpResponse.BodyHandlers.ofString()));
  }

  private static Reply reply(HttpResponse<String> res) {
    JsonNode body;
    try {
      body = JSON.readTree(res.body());
    } catch (IOException notJson) {
      body = null;
    }
    return new Reply(res.statusCode(), body, res.body());
  }
}
