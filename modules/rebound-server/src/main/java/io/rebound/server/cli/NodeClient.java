package io.rebound.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Calls a node's HTTP API (docs/API.md). Every failure becomes a {@link CliException} with one
 * line: the problem's detail and field errors, or that no node answers at the URL.
 */
final class NodeClient {
  static final ObjectMapper MAPPER = new ObjectMapper();
  /** The header an open node needs on writes, which cross-site pages cannot send. */
  static final String REQUEST_HEADER = "X-Rebound-Request";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  // Longer than the node's own ask timeout (30s), so that the node answers 503 first.
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final String base;
  private final HttpClient http;
  private final String token;

  /** @throws IllegalArgumentException when the URL is not an http(s) URL with a host */
  NodeClient(String url) {
    this(url, null);
  }

  /**
   * @param token the bearer token sent with every request, or null for none
   * @throws IllegalArgumentException when the URL is not an http(s) URL with a host
   */
  NodeClient(String url, String token) {
    String u = url == null ? "" : url.trim();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    URI uri;
    try {
      uri = new URI(u);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getMessage());
    }
    if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
      throw new IllegalArgumentException("'" + url + "' is not an http:// or https:// URL with a host");
    }
    this.base = u;
    this.token = token == null || token.isBlank() ? null : token.strip();
    // HTTP/1.1: the node speaks it, and an h2c upgrade attempt only costs a round trip.
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
  }

  String url() {
    return base;
  }

  /** A successful (2xx) answer: its status, its body as sent and the body parsed. */
  record Reply(int status, String body, JsonNode json) {}

  Reply get(String path) {
    return send("GET", path, null, UnaryOperator.identity());
  }

  Reply post(String path, JsonNode body) {
    return send("POST", path, body, UnaryOperator.identity());
  }

  /**
   * @param fieldNames rewrites the field names of a problem's errors (and its detail), e.g. a
   *     batch's {@code items[3].priority} to the line of the file it came from
   */
  Reply send(String method, String path, JsonNode body, UnaryOperator<String> fieldNames) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(REQUEST_TIMEOUT)
        .header("Accept", "application/json, application/problem+json");
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      // A node refuses writes without these (docs/SECURITY.md): a web page cannot send them cross-site.
      request.header("Content-Type", "application/json");
      request.header(REQUEST_HEADER, "1");
    }
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted while waiting for the node at " + base);
    } catch (IOException e) {
      throw new CliException(unreachable(e));
    }
    String text = response.body();
    if (response.statusCode() == 401) {
      throw new CliException(problem(401, text, fieldNames) + " (pass --token or set REBOUND_TOKEN)");
    }
    if (response.statusCode() / 100 != 2) {
      throw new CliException(problem(response.statusCode(), text, fieldNames));
    }
    try {
      return new Reply(response.statusCode(), text, MAPPER.readTree(text));
    } catch (JsonProcessingException e) {
      throw new CliException("the node at " + base + " answered " + response.statusCode() + " with a body that is not JSON");
    }
  }

  private String unreachable(IOException e) {
    if (e instanceof HttpConnectTimeoutException) {
      return "no node at " + base + " (no answer to connect within " + CONNECT_TIMEOUT.toSeconds() + "s)";
    }
    if (e instanceof HttpTimeoutException) {
      return "the node at " + base + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + "s";
    }
    if (e instanceof ConnectException) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      if (root instanceof UnresolvedAddressException) {
        return "no node at " + base + " (unknown host)";
      }
      String m = root.getMessage();
      return "no node at " + base + " (" + (m == null || m.toLowerCase().contains("refused") ? "connection refused" : m) + ")";
    }
    return "lost the connection to the node at " + base + ": " + (e.getMessage() == null ? e.toString() : e.getMessage());
  }

  /** The one line a problem document (or any other failed answer) turns into. */
  static String problem(int status, String body, UnaryOperator<String> fieldNames) {
    JsonNode p;
    try {
      p = body == null || body.isBlank() ? null : MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      p = null;
    }
    if (p == null || !p.isObject() || !p.hasNonNull("detail")) {
      String excerpt = body == null ? "" : Format.oneLine(body).strip();
      if (excerpt.length() > 200) {
        excerpt = excerpt.substring(0, 200) + "...";
      }
      return "the node answered HTTP " + status + (excerpt.isEmpty() ? "" : ": " + excerpt);
    }
    String detail = p.get("detail").asText();
    List<String[]> errors = new ArrayList<>();
    JsonNode e = p.get("errors");
    if (e != null && e.isObject()) {
      for (Map.Entry<String, JsonNode> f : e.properties()) {
        errors.add(new String[] {f.getKey(), f.getValue().asText()});
      }
    }
    // The node's error map has no stable order; sort so the same mistake reads the same way.
    errors.sort((a, b) -> Format.naturalCompare(a[0], b[0]));
    StringBuilder line = new StringBuilder();
    if (errors.size() == 1 && detail.equals(errors.get(0)[0] + " " + errors.get(0)[1])) {
      // The detail already is "<field> <error>": say it once.
      line.append(fieldNames.apply(errors.get(0)[0])).append(' ').append(errors.get(0)[1]);
    } else {
      line.append(detail);
      for (String[] f : errors) {
        line.append(" (").append(fieldNames.apply(f[0])).append(": ").append(f[1]).append(')');
      }
    }
    return line.toString();
  }

  /** Encodes one path segment (an id or a queue name) so it stays one segment. */
  static String segment(String s) {
    StringBuilder b = new StringBuilder();
    for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
      int ch = c & 0xff;
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
        b.append((char) ch);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(ch >> 4, 16))).append(Character.toUpperCase(Character.forDigit(ch & 15, 16)));
      }
    }
    return b.toString();
  }
}
