package io.rebound.server.http;

import io.rebound.server.security.ApiToken;
import io.rebound.server.security.AuthSettings;
import io.rebound.server.security.RateLimiter;
import io.rebound.server.security.Role;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Who may call what: bearer tokens (401), roles per route (403) and a rate limit per caller
 * (429). docs/SECURITY.md has the role of every endpoint.
 */
final class Access extends AllDirectives {
  static final String REALM = "rebound";

  /** Who is calling: a token, or (API open) the client's address, which then may do anything. */
  record Caller(String rateKey, Role role) {}

  private final AuthSettings auth;
  private final RateLimiter limiter;

  Access(AuthSettings auth, RateLimiter limiter) {
    this.auth = auth;
    this.limiter = limiter;
  }

  /** Authenticates (when tokens are configured) and rate-limits every request before routing it. */
  Route authenticated(Function<Caller, Route> inner) {
    return extractRequest(request -> {
      Caller caller;
      if (!auth.enabled()) {
        caller = new Caller("address " + clientAddress(request), Role.OPERATOR);
      } else {
        Optional<String> header = request.getHeader("Authorization").map(HttpHeader::value);
        Optional<ApiToken> token = header.flatMap(Access::bearer).flatMap(auth::authenticate);
        if (token.isEmpty()) {
          // Failed logins spend the caller address's bucket too, so tokens cannot be guessed at full speed.
          Duration wait = limiter.acquire("unauthenticated " + clientAddress(request));
          return complete(wait.isZero() ? unauthorized(header.isPresent()) : tooMany(wait));
        }
        caller = new Caller("token " + token.get().name(), token.get().role());
      }
      Duration wait = limiter.acquire(caller.rateKey());
      if (!wait.isZero()) {
        return complete(tooMany(wait));
      }
      // A body with a Content-Length is counted before it is read; one without, once read (chargeBytes).
      long length = request.entity().getContentLengthOption().orElse(0L);
      Duration bytesWait = limiter.acquireBytes(caller.rateKey(), length);
      return bytesWait.isZero() ? inner.apply(caller) : complete(tooMany(bytesWait));
    });
  }

  /** Counts a body that came without a Content-Length against the caller's byte rate, once read. */
  void chargeBytes(Caller caller, long bytes) {
    limiter.chargeBytes(caller.rateKey(), bytes);
  }

  private static HttpResponse tooMany(Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    return HttpApi.problem(Problem.of(429, "rate-limited", "Too many requests",
            "over this caller's rate limit; try again in " + seconds + "s"))
        .addHeader(RetryAfter.create(seconds));
  }

  /** Runs {@code inner} only for a caller whose role allows {@code required}. */
  Route allow(Caller caller, Role required, Supplier<Route> inner) {
    if (caller.role().allows(required)) {
      return inner.get();
    }
    return complete(HttpApi.problem(Problem.of(403, "forbidden", "Forbidden",
        "this needs the " + required.label() + " role; the token has " + caller.role().label())));
  }

  /** The token of an {@code Authorization: Bearer <token>} header. */
  static Optional<String> bearer(String header) {
    String h = header.strip();
    int space = h.indexOf(' ');
    if (space < 0 || !h.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
      return Optional.empty();
    }
    String token = h.substring(space + 1).strip();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  private static org.apache.pekko.http.javadsl.model.HttpResponse unauthorized(boolean presented) {
    // RFC 6750: no error code without credentials, invalid_token for a wrong one.
    HttpChallenge challenge = presented
        ? HttpChallenge.create("Bearer", Optional.of(REALM), Map.of("error", "invalid_token"))
        : HttpChallenge.create("Bearer", Optional.of(REALM));
    String detail = presented
        ? "the Authorization header does not carry a valid bearer token"
        : "this node needs a token: send Authorization: Bearer <token>";
    return HttpApi.problem(Problem.of(401, "unauthorized", "Unauthorized", detail)).addHeader(WWWAuthenticate.create(challenge));
  }

  /** The connection's peer address (never X-Forwarded-For, which any client can write). */
  private static String clientAddress(HttpRequest request) {
    return request.getAttribute(AttributeKeys.remoteAddress)
        .flatMap(RemoteAddress::getAddress)
        .map(InetAddress::getHostAddress)
        .orElse("unknown");
  }
}
