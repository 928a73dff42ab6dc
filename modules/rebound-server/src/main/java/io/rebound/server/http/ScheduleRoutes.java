package io.rebound.server.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rebound.core.Rebound;
import io.rebound.core.schedule.UnknownScheduleException;
import io.rebound.core.schedule.Schedule;
import io.rebound.core.schedule.ScheduleTriggerException;
import io.rebound.core.schedule.ScheduleView;
import io.rebound.server.security.Role;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.AskTimeoutException;

/**
 * The recurring schedules over HTTP (docs/API.md, docs/SCHEDULES.md): {@code GET /v1/schedules}
 * for viewers; {@code POST /v1/schedules/{name}/pause|resume|trigger} for operators.
 */
final class ScheduleRoutes extends AllDirectives {
  private final Rebound node;

  ScheduleRoutes(Rebound node) {
    this.node = node;
  }

  Route route(Access.Caller c, Access access) {
    // Payloads are other people's data: producers and operators see them, viewers do not (as for items).
    boolean payloads = c.role().allows(Role.PRODUCER);
    return pathPrefix(segment("v1").slash("schedules"), () -> concat(
        pathEndOrSingleSlash(() -> get(() -> access.allow(c, Role.VIEWER, () ->
            respond(node.schedules().list().thenApply(all -> ok(list(all, payloads))))))),
        pathPrefix(segment(), name -> concat(
            path("pause", () -> post(() -> access.allow(c, Role.OPERATOR, () ->
                respond(node.schedules().pause(name).thenApply(v -> ok(schedule(v, payloads))))))),
            path("resume", () -> post(() -> access.allow(c, Role.OPERATOR, () ->
                respond(node.schedules().resume(name).thenApply(v -> ok(schedule(v, payloads))))))),
            path("trigger", () -> post(() -> access.allow(c, Role.OPERATOR, () -> trigger(name, payloads))))))));
  }

  private Route trigger(String name, boolean payloads) {
    return respond(node.schedules().trigger(name).thenApply(t -> {
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("itemId", t.itemId());
      o.set("schedule", schedule(t.schedule(), payloads));
      return json(StatusCodes.CREATED, o);
    }));
  }

  private ObjectNode list(List<ScheduleView> all, boolean payloads) {
    ObjectNode out = Json.MAPPER.createObjectNode();
    ArrayNode arr = out.putArray("schedules");
    all.forEach(v -> arr.add(schedule(v, payloads)));
    return out;
  }

  /** One schedule on the wire; times are ISO-8601 instants, null when there is none. */
  private ObjectNode schedule(ScheduleView v, boolean payloads) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("name", v.name());
    n.put("cron", v.cron());
    n.put("zone", v.zone());
    n.put("queue", v.queue());
    n.put("priority", v.priority());
    n.put("missed", v.missed());
    n.put("paused", v.paused());
    n.set("nextTick", Json.MAPPER.valueToTree(v.nextTick()));
    n.set("lastTick", Json.MAPPER.valueToTree(v.lastTick()));
    n.put("lastItemId", v.lastItemId());
    Schedule s = node.schedules().settings().schedules().get(v.name());
    if (payloads && s != null) {
      try {
        n.set("payload", Json.MAPPER.readTree(s.payload()));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a schedule's payload is checked to be JSON at start", e);
      }
    }
    return n;
  }

  private Route respond(CompletionStage<HttpResponse> response) {
    return completeWithFuture(response.exceptionally(e -> HttpApi.problem(problemOf(e))));
  }

  private static Problem problemOf(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof UnknownScheduleException) {
      return Problem.notFound(e.getMessage());
    }
    if (e instanceof ScheduleTriggerException) {
      return Problem.unavailable(e.getMessage());
    }
    if (e instanceof AskTimeoutException || e instanceof TimeoutException) {
      // The runner is moving to another node (its node left or was downed): it is back within moments.
      return Problem.unavailable("the schedule runner did not answer in time; try again");
    }
    return HttpApi.problemOf(e);
  }

  private static HttpResponse ok(Object body) {
    return json(StatusCodes.OK, body);
  }

  private static HttpResponse json(StatusCode status, Object body) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
  }
}
