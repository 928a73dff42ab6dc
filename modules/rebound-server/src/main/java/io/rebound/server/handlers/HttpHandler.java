package io.rebound.server.handlers;

import static io.rebound.core.config.ReboundConfigException.reading;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.rebound.api.JobContext;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.api.TransientException;
import io.rebound.core.config.ReboundConfigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code handler { type = http, url = "https://...", timeout = 30s, headers { X-Token = "..." } }}:
 * POSTs each item's payload, as stored, to {@code url}.
 *
 * <p>The request carries {@code Content-Type: application/json}, {@code Rebound-Item-Id} and
 * {@code Rebound-Attempt}, then the configured headers (which may replace Content-Type but not the
 * two Rebound headers). A 2xx answer is success; 408, 429, 5xx, connection failures and timeouts
 * are transient (a {@code Retry-After} in seconds or as an HTTP date sets the next delay); any
 * other status (other 4xx, and 1xx/3xx since redirects are not followed) is permanent. The failure
 * message is {@code "HTTP <status>: "} and the first 2048 characters of the response body.
 */
public final class HttpHandler implements JobHandler {
  /** Characters of the response body kept in a failure message. */
  static final int BODY_CHARS = 2048;
  /** Enough bytes for {@link #BODY_CHARS} characters of UTF-8. */
  private static final int BODY_BYTES = BODY_CHARS * 4;
  /** A successful answer's body is read (and dropped) up to this much, so the connection can be reused. */
  private static final int DISCARD_BYTES = 64 * 1024;
  /** The longest Retry-After honoured; longer ones are capped (RetryPolicy's own limit for delays). */
  static final Duration MAX_RETRY_AFTER = io.rebound.api.RetryPolicy.MAX_DELAY;
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** The keys of its {@code handler} block besides {@code type}. */
  public static final Set<String> KEYS = Set.of("url", "timeout", "headers");

  static final String ITEM_ID_HEADER = "Rebound-Item-Id";
  static final String ATTEMPT_HEADER = "Rebound-Attempt";
  /** The attempt's fencing token ({@code JobContext.execution()}): downstream may refuse lower ones. */
  static final String EXECUTION_HEADER = "Rebound-Execution";

  private final URI url;
  private final Duration timeout;
  private final Map<String, String> headers;
  private final HttpClient client;

  HttpHandler(URI url, Duration timeout, Map<String, String> headers) {
    this.url = url;
    this.timeout = timeout;
    this.headers = Map.copyOf(headers);
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * Reads a {@code handler} block ({@code url} required; {@code timeout} default 30s; {@code
   * headers} optional). Errors name the key relative to the block.
   */
  public static JobHandler fromConfig(Config handlerBlock) {
    Config c = handlerBlock;
    if (!c.hasPath("url")) {
      throw new ReboundConfigException("url", "the http handler needs the absolute http(s) URL to POST to");
    }
    String raw = reading("url", () -> c.getString("url"));
    URI url;
    try {
      url = new URI(raw.trim());
    } catch (java.net.URISyntaxException e) {
      throw new ReboundConfigException("url", "not a valid URL: '" + raw + "' (" + e.getReason() + ")");
    }
    String scheme = url.getScheme() == null ? null : url.getScheme().toLowerCase(Locale.ROOT);
    if (!url.isAbsolute() || !("http".equals(scheme) || "https".equals(scheme)) || url.getHost() == null) {
      throw new ReboundConfigException("url", "must be an absolute http:// or https:// URL with a host, was '" + raw + "'");
    }

    Duration timeout = DEFAULT_TIMEOUT;
    if (c.hasPath("timeout")) {
      timeout = reading("timeout", () -> c.getDuration("timeout"));
      if (timeout.isZero() || timeout.isNegative()) {
        throw new ReboundConfigException("timeout", "must be positive, was " + c.getValue("timeout").unwrapped());
      }
    }

    Map<String, String> headers = new LinkedHashMap<>();
    if (c.hasPath("headers")) {
      ConfigObject block = reading("headers", () -> c.getObject("headers"));
      for (Map.Entry<String, ConfigValue> e : block.entrySet()) {
        String name = e.getKey();
        String key = "headers." + name;
        ConfigValue v = e.getValue();
        if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST || v.valueType() == ConfigValueType.NULL) {
          throw new ReboundConfigException(key, "a header value must be a string, was " + v.valueType().name().toLowerCase(Locale.ROOT));
        }
        if (name.equalsIgnoreCase(ITEM_ID_HEADER) || name.equalsIgnoreCase(ATTEMPT_HEADER) || name.equalsIgnoreCase(EXECUTION_HEADER)) {
          throw new ReboundConfigException(key, "is set by Rebound and cannot be configured");
        }
        String value = String.valueOf(v.unwrapped());
        try {
          // The client's own rules: a valid token, a valid value, not a restricted header (Host, ...).
          HttpRequest.newBuilder(url).setHeader(name, value);
        } catch (IllegalArgumentException ex) {
          throw new ReboundConfigException(key, "not a header the HTTP client can send: " + ex.getMessage());
        }
        headers.put(name, value);
      }
    }
    return new HttpHandler(url, timeout, headers);
  }

  @Override
  public CompletionStage<Void> handle(JobContext ctx) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .POST(HttpRequest.BodyPublishers.ofString(ctx.payloadJson(), StandardCharsets.UTF_8))
            .setHeader("Content-Type", "application/json")
            .setHeader(ITEM_ID_HEADER, ctx.itemId())
            .setHeader(ATTEMPT_HEADER, Integer.toString(ctx.attempt()))
            .setHeader(EXECUTION_HEADER, Integer.toString(ctx.execution()));
    headers.forEach(b::setHeader);

    CompletableFuture<HttpResponse<byte[]>> call =
        client.sendAsync(
            b.build(),
            info -> is2xx(info.statusCode()) ? new Head(0, DISCARD_BYTES) : new Head(BODY_BYTES, BODY_BYTES));
    // Cancelled by Rebound (timeout, cancel, handoff): abort the request.
    ctx.cancelled().thenRun(() -> call.cancel(true));
    HttpResponse<byte[]> response;
    try {
      // The request timeout covers the wait for the answer's head; this one the whole exchange.
      response = call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new TransientException("timed out after " + Durations.format(timeout), e);
    } catch (InterruptedException e) {
      call.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof HttpTimeoutException) {
        throw new TransientException("timed out after " + Durations.format(timeout) + " (" + describe(cause) + ")", cause);
      }
      if (cause instanceof IOException) {
        throw new TransientException("connection failed: " + describe(cause), cause);
      }
      throw new TransientException("request failed: " + describe(cause), cause);
    }

    int status = response.statusCode();
    if (is2xx(status)) {
      return CompletableFuture.completedFuture(null);
    }
    String message = "HTTP " + status + ": " + bodyText(response.body(), response.headers());
    if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
      Duration retryAfter =
          response.headers().firstValue("Retry-After").flatMap(v -> retryAfter(v, Instant.now())).orElse(null);
      throw new TransientException(message, null, retryAfter);
    }
    throw new PermanentException(message);
  }

  private static boolean is2xx(int status) {
    return status >= 200 && status <= 299;
  }

  /**
   * A {@code Retry-After} value: delay-seconds or an HTTP date (RFC 1123), from {@code now}; a date
   * in the past means no wait. Empty when the value is neither. Capped at {@link #MAX_RETRY_AFTER}.
   */
  static Optional<Duration> retryAfter(String value, Instant now) {
    String v = value.trim();
    if (v.isEmpty()) {
      return Optional.empty();
    }
    if (v.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      if (v.length() > 12) {
        return Optional.of(MAX_RETRY_AFTER);
      }
      return Optional.of(cap(Duration.ofSeconds(Long.parseLong(v))));
    }
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration d = Duration.between(now, at);
      return Optional.of(d.isNegative() ? Duration.ZERO : cap(d));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static Duration cap(Duration d) {
    return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
  }

  /** The first {@link #BODY_CHARS} characters of a body, in the charset its Content-Type names (else UTF-8). */
  static String bodyText(byte[] body, HttpHeaders headers) {
    if (body == null || body.length == 0) {
      return "";
    }
    Charset cs = StandardCharsets.UTF_8;
    Optional<String> type = headers.firstValue("Content-Type");
    if (type.isPresent()) {
      for (String part : type.get().split(";")) {
        String p = part.trim();
        if (p.regionMatches(true, 0, "charset=", 0, 8)) {
          try {
            cs = Charset.forName(p.substring(8).replace("\"", "").trim());
          } catch (RuntimeException e) {
            // an unknown charset: read it as UTF-8
          }
        }
      }
    }
    return truncate(new String(body, cs), BODY_CHARS);
  }

  /** At most {@code max} chars, not splitting a surrogate pair. */
  static String truncate(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
  }

  static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }

  /**
   * Keeps the first {@code keep} bytes of a body and completes once the body ends or {@code cap}
   * bytes have come (then cancels the rest), so a huge or endless body cannot hold the attempt.
   */
  private static final class Head implements BodySubscriber<byte[]> {
    private final int keep;
    private final int cap;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private long seen;
    private Flow.Subscription subscription;

    Head(int keep, int cap) {
      this.keep = keep;
      this.cap = cap;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer buf : items) {
        int n = buf.remaining();
        int room = keep - kept.size();
        if (room > 0) {
          byte[] bytes = new byte[Math.min(room, n)];
          buf.get(bytes);
          kept.write(bytes, 0, bytes.length);
        }
        seen += n;
      }
      if (seen >= cap) {
        result.complete(kept.toByteArray());
        subscription.cancel();
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(kept.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }
  }


  @Override
  public String toString() {
    return "HttpHandler(" + url.getScheme() + "://" + url.getHost() + (url.getPort() >= 0 ? ":" + url.getPort() : "") + url.getRawPath() + ", timeout=" + Durations.format(timeout) + ")";
  }
}
