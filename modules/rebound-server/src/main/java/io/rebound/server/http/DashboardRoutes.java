package io.rebound.server.http;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The dashboard: static files bundled in the jar ({@code dashboard/} on the classpath) at {@code /}
 * and {@code /dashboard/*}. They hold no data: the page reads everything through the public API,
 * with the user's token when the API asks for one.
 */
final class DashboardRoutes extends AllDirectives {

  Route route() {
    // The method is matched inside each path, so that a POST to an unknown path stays a 404.
    return concat(
        pathEndOrSingleSlash(() -> get(() -> getFromResource("dashboard/index.html", ContentTypes.TEXT_HTML_UTF8))),
        pathPrefix("dashboard", () -> get(() -> getFromResourceDirectory("dashboard"))));
  }
}
