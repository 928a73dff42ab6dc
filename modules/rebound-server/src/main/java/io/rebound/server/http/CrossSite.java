package io.rebound.server.http;

import io.rebound.server.security.HostSettings;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What keeps other web pages out of a node, above all an open one on loopback: any page the
 * operator's browser shows can send a "simple" cross-site request (a form, or {@code fetch} with
 * {@code mode: 'no-cors'}) to 127.0.0.1, and a page that rebinds its DNS name to 127.0.0.1 can
 * even read the answers. So:
 *
 * <ul>
 *   <li>the {@code Host} header must name the node ({@link HostSettings}), else 421;
 *   <li>a write (POST, PUT, PATCH, DELETE) must say {@code Content-Type: application/json}, which
 *       no simple request can, else 415;
 *   <li>on an open node (no tokens) a write must also carry {@value #HEADER} (any non-empty value),
 *       which a cross-site page cannot send without a CORS preflight this node never grants, or an
 *       {@code Origin} that is the node itself (its own dashboard), else 403;
 *   <li>a write whose {@code Origin} names another site is refused (403) even with a token; the
 *       node's own origin is the request's {@code scheme://Host}, or a name listed in {@code
 *       allowed-hosts} (a proxy may rewrite {@code Host}).
 * </ul>
 */
final class CrossSite extends AllDirectives {
  /** The header an open node needs on writes; the CLI and the dashboard send it. */
  static final String HEADER = "X-Rebound-Request";
  private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");

  private final HostSettings hosts;

  CrossSite(HostSettings hosts) {
    this.hosts = hosts;
  }

  /** Answers 421 to a request whose {@code Host} is not one of the node's names. */
  Route checkHost(Supplier<Route> inner) {
    return extractRequest(request -> {
      String host = request.getHeader("Host").map(HttpHeader::value).orElse(null);
      if (hosts.allows(host)) {
        return inner.get();
      }
      return complete(HttpApi.problem(Problem.of(421, "misdirected", "Misdirected request",
          "this node does not answer to that host name; list it in rebound.http.allowed-hosts (see docs/SECURITY.md)")));
    });
  }

  /** Lets reads through; a write passes only as the class comment says. */
  Route checkWrite(boolean open, Supplier<Route> inner) {
    return extractRequest(request -> {
      if (!WRITES.contains(request.method().name().toUpperCase(Locale.ROOT))) {
        return inner.get();
      }
      if (!isJson(request.entity().getContentType())) {
        return complete(HttpApi.problem(Problem.of(415, "unsupported-media-type", "Unsupported media type",
            "a write must be sent with Content-Type: application/json (even with an empty body)")));
      }
      Optional<String> origin = request.getHeader("Origin").map(HttpHeader::value).map(String::strip);
      boolean ownOrigin = origin.isPresent()
          && (origin.get().equalsIgnoreCase(ownOrigin(request)) || hosts.listsOrigin(origin.get().toLowerCase(Locale.ROOT)));
      if (origin.isPresent() && !ownOrigin) {
        return complete(forbidden("a write from another site's page is refused (its Origin is not this node)"));
      }
      boolean marked = request.getHeader(HEADER).map(h -> !h.value().isBlank()).orElse(false);
      if (open && !marked && !ownOrigin) {
        return complete(forbidden("this node runs without tokens: a write needs the header " + HEADER
            + ": 1 (which other sites' pages cannot send); the CLI and the dashboard send it"));
      }
      return inner.get();
    });
  }

  static boolean isJson(ContentType type) {
    var media = type.mediaType();
    return media.mainType().equalsIgnoreCase("application") && media.subType().equalsIgnoreCase("json");
  }

  /** {@code scheme://host[:port]} of the request as its client addressed it. */
  private static String ownOrigin(HttpRequest request) {
    String host = request.getHeader("Host").map(HttpHeader::value).orElse("").strip();
    String scheme = request.getUri().scheme();
    // A default port is left out of an Origin; the Host header may carry it.
    if (scheme.equals("http") && host.endsWith(":80")) {
      host = host.substring(0, host.length() - 3);
    } else if (scheme.equals("https") && host.endsWith(":443")) {
      host = host.substring(0, host.length() - 4);
    }
    return scheme + "://" + host;
  }

  private static org.apache.pekko.http.javadsl.model.HttpResponse forbidden(String detail) {
    return HttpApi.problem(Problem.of(403, "cross-site", "Forbidden", detail));
  }
}
