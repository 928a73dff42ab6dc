package io.rebound.server.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rebound.api.ErrorKind;
import io.rebound.core.Rebound;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.metrics.MetricsSnapshot;
import io.rebound.core.metrics.Outcome;
import io.rebound.core.metrics.QueueFigures;
import io.rebound.core.metrics.RecentFailure;
import io.rebound.server.security.Role;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The node's metrics over HTTP: {@code GET /metrics} for Prometheus (outside /v1, where scrapers
 * look by default) and {@code GET /v1/metrics} as JSON. docs/METRICS.md describes both.
 */
final class MetricsRoutes extends AllDirectives {
  /** The Prometheus text exposition format, version 0.0.4. */
  static final ContentType PROMETHEUS_TEXT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final Rebound node;

  MetricsRoutes(Rebound node) {
    this.node = node;
  }

  /**
   * Both need the metrics role (or any above it) when tokens are configured (Prometheus: a bearer
   * token). The handlers' failure messages of {@code recentFailures} are left out below viewer:
   * they may quote payloads.
   */
  Route route(Access.Caller caller, Access access) {
    return concat(
        path("metrics", () -> get(() -> access.allow(caller, Role.METRICS, () -> complete(
            HttpResponse.create().withStatus(StatusCodes.OK).withEntity(PROMETHEUS_TEXT, node.metrics().scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)))))),
        path(segment("v1").slash("metrics"), () -> get(() -> access.allow(caller, Role.METRICS, () -> completeWithFuture(node.metrics().snapshot()
            .thenApply(s -> HttpResponse.create().withStatus(StatusCodes.OK)
                .withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(json(s, caller.role().allows(Role.VIEWER)))))
            .exceptionally(e -> HttpApi.problem(HttpApi.problemOf(e))))))));
  }

  static ObjectNode json(MetricsSnapshot s) {
    return json(s, true);
  }

  /** @param messages whether recent failures carry the handlers' messages */
  static ObjectNode json(MetricsSnapshot s, boolean messages) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.set("at", Json.MAPPER.valueToTree(s.at()));
    figures(n, s.total());
    ObjectNode depth = n.putObject("depth");
    s.queues().keySet().stream().sorted().forEach(q -> depth.set(q, depth(s.queue(q))));
    ArrayNode recent = n.putArray("recentFailures");
    for (RecentFailure f : s.recentFailures()) {
      ObjectNode o = recent.addObject();
      o.put("id", f.id());
      o.put("queue", f.queue());
      o.put("kind", f.kind().name());
      if (messages) {
        o.put("message", f.message());
      }
      o.set("at", Json.MAPPER.valueToTree(f.at()));
    }
    ObjectNode tp = n.putObject("throughput");
    tp.set("start", Json.MAPPER.valueToTree(s.throughput().start()));
    tp.put("bucketSeconds", s.throughput().bucketSeconds());
    ArrayNode completed = tp.putArray("completed");
    s.throughput().completed().forEach(completed::add);
    ArrayNode failed = tp.putArray("failed");
    s.throughput().failed().forEach(failed::add);
    ObjectNode queues = n.putObject("queues");
    s.queues().keySet().stream().sorted().forEach(q -> {
      ObjectNode o = queues.putObject(q);
      figures(o, s.queue(q));
      o.set("depth", depth(s.queue(q)));
    });
    return n;
  }

  /** The counts and rates of a queue, or of the node. */
  private static void figures(ObjectNode n, QueueFigures f) {
    n.put("enqueued", f.count(Outcome.ENQUEUED));
    n.put("processed", f.count(Outcome.SUCCEEDED));
    n.put("failed", f.count(Outcome.FAILED));
    n.put("deadLettered", f.count(Outcome.DEAD_LETTERED));
    n.put("parked", f.count(Outcome.PARKED));
    n.put("cancelled", f.count(Outcome.CANCELLED));
    n.put("attemptFailures", f.attemptFailures());
    ObjectNode rate = n.putObject("itemsPerSecond");
    rate.put("1m", f.itemsPerSecond1m());
    rate.put("5m", f.itemsPerSecond5m());
    n.put("itemsPerMinute", f.itemsPerMinute());
    n.put("averageProcessingMillis", f.averageProcessingMillis());
    ObjectNode errors = n.putObject("errorsByKind");
    for (ErrorKind k : ErrorKind.values()) {
      errors.put(k.name(), f.errorsByKind().getOrDefault(k, 0L));
    }
  }

  /** Every status, 0 when the read side counted none. */
  private static ObjectNode depth(QueueFigures f) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    Map<ItemStatus, Long> byStatus = new TreeMap<>(f.depth());
    for (ItemStatus st : ItemStatus.values()) {
      o.put(st.name(), byStatus.getOrDefault(st, 0L));
    }
    return o;
  }
}
