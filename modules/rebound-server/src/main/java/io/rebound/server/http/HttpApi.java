package io.rebound.server.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rebound.core.tracing.Traceparent;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.IllegalTransitionException;
import io.rebound.core.ItemNotFoundException;
import io.rebound.core.Rebound;
import io.rebound.core.enqueue.UnknownQueueException;
import io.rebound.core.UnknownToolException;
import io.rebound.core.config.EffectiveSettings;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.index.ItemIndex;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import io.rebound.server.security.AuthSettings;
import io.rebound.server.security.RateLimitSettings;
import io.rebound.server.security.RateLimiter;
import io.rebound.server.security.Role;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@code /v1} HTTP API over an embedded node; docs/API.md describes it for users. */
public final class HttpApi extends AllDirectives {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  static final ContentType PROBLEM_JSON =
      ContentTypes.create(MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));

  private final Rebound node;
  private final ApiSettings settings;
  private final long maxPayload;
  private final int maxBatch;
  private final Access access;
  private final CrossSite crossSite;
  private final boolean open;

  /** An open API without a rate limit, as on loopback in tests. */
  public HttpApi(Rebound node, long maxPayload, int maxBatch) {
    this(node, maxPayload, maxBatch, AuthSettings.open(), new RateLimiter(RateLimitSettings.off()));
  }

  /**
   * @param maxPayload the largest payload accepted, in bytes of JSON
   * @param maxBatch the most items one batch call may carry
   * @param auth the tokens; none leaves the API open
   * @param limiter the per-caller rate limit
   */
  public HttpApi(Rebound node, long maxPayload, int maxBatch, AuthSettings auth, RateLimiter limiter) {
    this(node, ApiSettings.of(maxPayload, maxBatch), auth, limiter);
  }

  /**
   * @param settings the bounds on input and the Host names answered
   * @param auth the tokens; none leaves the API open
   * @param limiter the per-caller rate limit
   */
  public HttpApi(Rebound node, ApiSettings settings, AuthSettings auth, RateLimiter limiter) {
    this.node = node;
    this.settings = settings;
    this.maxPayload = settings.maxPayload();
    this.maxBatch = settings.maxBatch();
    this.access = new Access(auth, limiter);
    this.crossSite = new CrossSite(settings.hosts());
    this.open = !auth.enabled();
  }

  public Route route() {
    // The Host check comes first: a DNS-rebinding page must not even get the dashboard's files.
    // The dashboard's files hold no data and a browser cannot send a bearer token for a page
    // load, so they are served before authentication; the page sends the token on its API calls.
    // Writes are checked after authentication, so that a request without a token still gets 401.
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> crossSite.checkHost(() ->
        concat(new DashboardRoutes().route(), access.authenticated(c -> crossSite.checkWrite(open, () -> routes(c)))))));
  }

  /** Every route with the role it needs; docs/SECURITY.md lists them. */
  private Route routes(Access.Caller c) {
    return concat(new MetricsRoutes(node).route(c, access), new ScheduleRoutes(node).route(c, access), pathPrefix("v1", () -> concat(
        pathPrefix("queues", () -> concat(
            pathEndOrSingleSlash(() -> get(() -> viewer(c, this::queues))),
            pathPrefix(segment(), queue -> concat(
                path("items", () -> concat(
                    post(() -> producer(c, () -> optionalHeaderValueByName(Traceparent.HEADER, tp ->
                        body(c, singleLimit(), false, b -> enqueue(queue, b, tp.orElse(null)))))),
                    get(() -> viewer(c, () -> parameterMap(params -> list(queue, params)))))),
                path("stats", () -> get(() -> viewer(c, () -> stats(queue)))),
                path("replay", () -> post(() -> viewer(c, () -> body(c, 64 * 1024, false, b -> replay(queue, b))))),
                path(segment("dead-letters").slash("redrive"), () -> post(() -> operator(c, () -> optionalBody(b -> redriveDeadLetters(queue, b))))),
                path(segment("items").slash("batch"), () -> post(() -> producer(c, () -> optionalHeaderValueByName(Traceparent.HEADER, tp ->
                    body(c, batchLimit(), true, b -> batch(queue, b, tp.orElse(null))))))),
                path("pause", () -> post(() -> operator(c, () -> pause(queue, true)))),
                path("resume", () -> post(() -> operator(c, () -> pause(queue, false)))))))),
        path("alerts", () -> get(() -> viewer(c, this::alerts))),
        path(segment("index").slash("rebuild"), () -> concat(
            post(() -> operator(c, () -> respond(node.rebuildIndex().thenApply(s -> json(StatusCodes.ACCEPTED, rebuildStatus(s)))))),
            get(() -> viewer(c, () -> respond(node.indexRebuildStatus().thenApply(s -> ok(rebuildStatus(s)))))))),
        path("config", () -> get(() -> operator(c, () -> complete(ok(Map.of("settings",
            EffectiveSettings.of(node.system().settings().config()))))))),
        pathPrefix("tools", () -> concat(
            pathEndOrSingleSlash(() -> get(() -> viewer(c, this::tools))),
            pathPrefix(segment(), tool -> concat(
                path("parked", () -> get(() -> viewer(c, () -> parameterOptional("limit", limit -> parked(tool, limit))))),
                path("release", () -> post(() -> operator(c, () -> release(tool)))))))),
        pathPrefix("items", () -> pathPrefix(segment(), id -> concat(
            pathEnd(() -> get(() -> viewer(c, () -> respond(node.status(id).thenApply(v -> ok(Json.item(
                v.orElseThrow(() -> new ItemNotFoundException(id)), payloads(c)))))))),
            path("history", () -> get(() -> viewer(c, () -> parameterMap(params -> history(id, params, c))))),
            path("cancel", () -> post(() -> operator(c, () -> respond(node.cancel(id).thenApply(v -> ok(Json.item(v))))))),
            path("redrive", () -> post(() -> operator(c, () -> respond(node.redrive(id).thenApply(v -> ok(Json.item(v)))))))))))));
  }

  /** Payloads are other people's data: producers (who send them) and operators see them, viewers do not. */
  private static boolean payloads(Access.Caller c) {
    return c.role().allows(Role.PRODUCER);
  }

  private Route viewer(Access.Caller c, Supplier<Route> inner) {
    return access.allow(c, Role.VIEWER, inner);
  }

  private Route producer(Access.Caller c, Supplier<Route> inner) {
    return access.allow(c, Role.PRODUCER, inner);
  }

  private Route operator(Access.Caller c, Supplier<Route> inner) {
    return access.allow(c, Role.OPERATOR, inner);
  }

  // ---- endpoints --------------------------------------------------------------------------

  /** @param traceparent the request's W3C trace context: the item's attempts join that trace (docs/TRACING.md) */
  private Route enqueue(String queue, JsonNode body, String traceparent) {
    QueueSettings q = requireQueue(queue);
    Map<String, String> errors = new LinkedHashMap<>();
    EnqueueRequest request = EnqueueBody.parse(body, "", q.retryPolicy(), settings, errors);
    if (request == null) {
      return complete(problem(Problem.invalid(errors)));
    }
    return respond(Traceparent.withRemoteParent(traceparent, () -> node.enqueue(queue, request)).thenApply(r ->
        json(r.created() ? StatusCodes.CREATED : StatusCodes.OK, Json.item(r.item()))));
  }

  private Route batch(String queue, JsonNode body, String traceparent) {
    QueueSettings q = requireQueue(queue);
    Map<String, String> errors = new LinkedHashMap<>();
    JsonNode items = body.isObject() ? body.get("items") : null;
    if (items == null || !items.isArray()) {
      errors.put("items", "is required: an array of items");
    } else if (items.size() > maxBatch) {
      errors.put("items", "at most " + maxBatch + " items per call, was " + items.size());
    }
    if (!errors.isEmpty()) {
      return complete(problem(Problem.invalid(errors)));
    }
    List<EnqueueRequest> requests = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      requests.add(EnqueueBody.parse(items.get(i), "items[" + i + "].", q.retryPolicy(), settings, errors));
    }
    if (!errors.isEmpty()) {
      return complete(problem(Problem.invalid(errors)));
    }
    List<CompletableFuture<ObjectNode>> results = new ArrayList<>();
    for (EnqueueRequest r : requests) {
      results.add(Traceparent.withRemoteParent(traceparent, () -> node.enqueue(queue, r)).thenApply(res -> {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", res.item().id());
        o.put("status", res.item().status().name());
        o.put("created", res.created());
        return o;
      }).toCompletableFuture());
    }
    CompletionStage<HttpResponse> all = CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(x -> {
      ObjectNode out = Json.MAPPER.createObjectNode();
      ArrayNode arr = out.putArray("results");
      results.forEach(f -> arr.add(f.join()));
      return ok(out);
    });
    return respond(all);
  }

  /** The whole history, or with {@code limit} (and {@code after}) one page of it and the cursor of the next. */
  private Route history(String id, Map<String, String> params, Access.Caller c) {
    boolean stackTraces = c.role().allows(Role.OPERATOR);
    if (params.containsKey("at")) {
      return historyAt(id, params.get("at"), stackTraces, payloads(c));
    }
    if (!params.containsKey("limit") && !params.containsKey("after")) {
      return respond(node.history(id).thenApply(h -> ok(Json.history(h, stackTraces))));
    }
    Map<String, String> errors = new LinkedHashMap<>();
    int limit = ReadParams.intParam("limit", params.get("limit"), ReadParams.DEFAULT_LIMIT, 1, ReadParams.MAX_HISTORY_LIMIT, errors);
    int after = ReadParams.intParam("after", params.get("after"), 0, 0, Integer.MAX_VALUE, errors);
    if (!errors.isEmpty()) {
      return complete(problem(Problem.invalid(errors)));
    }
    return respond(node.history(id).thenApply(h -> {
      int from = Math.min(after, h.size());
      int to = (int) Math.min((long) from + limit, h.size());
      ObjectNode out = Json.history(h.subList(from, to), stackTraces);
      if (to < h.size()) {
        out.put("next", Integer.toString(to));
      } else {
        out.putNull("next");
      }
      return ok(out);
    }));
  }

  /** {@code ?at=}: the item as it was then, and its history up to then (docs/API.md). */
  private Route historyAt(String id, String atText, boolean stackTraces, boolean payloads) {
    Instant at;
    try {
      at = Instant.parse(atText.trim());
    } catch (java.time.format.DateTimeParseException e) {
      return complete(problem(Problem.invalid(Map.of("at", "must be an ISO-8601 instant such as 2026-11-30T10:00:00Z, was " + atText))));
    }
    return respond(node.historyAt(id, at).thenApply(past -> {
      ObjectNode out = Json.history(past.events(), stackTraces);
      out.put("at", past.at().toString());
      if (past.item().isPresent()) {
        out.set("item", Json.item(past.item().get(), payloads));
      } else {
        out.putNull("item");
      }
      return ok(out);
    }));
  }

  private static ObjectNode rebuildStatus(io.rebound.core.index.IndexRebuild.Status s) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("state", s.state());
    o.put("node", s.node());
    o.put("startedAt", s.startedAt() == null ? null : s.startedAt().toString());
    o.put("finishedAt", s.finishedAt() == null ? null : s.finishedAt().toString());
    o.put("items", s.items());
    o.put("estimate", s.estimate());
    o.put("error", s.error());
    return o;
  }

  private Route queues() {
    return respond(node.dispatcherStats().thenApply(stats -> {
      ObjectNode out = Json.MAPPER.createObjectNode();
      ArrayNode arr = out.putArray("queues");
      node.queues().values().stream()
          .sorted((a, b) -> a.name().compareTo(b.name()))
          .forEach(q -> arr.add(Json.queue(q, paused(stats, q.name()))));
      return ok(out);
    }));
  }

  private Route pause(String queue, boolean pause) {
    QueueSettings q = requireQueue(queue);
    if (pause) {
      node.pause(queue);
    } else {
      node.resume(queue);
    }
    // The dispatcher handles messages in order, so the stats already show the change.
    return respond(node.dispatcherStats().thenApply(stats -> ok(Json.queue(q, paused(stats, queue)))));
  }

  private Route release(String tool) {
    return respond(node.releaseParked(tool).thenApply(n -> {
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("tool", tool);
      o.put("releasing", n);
      return ok(o);
    }));
  }

  private Route tools() {
    return respond(node.tools().thenApply(all -> {
      ObjectNode out = Json.MAPPER.createObjectNode();
      ArrayNode arr = out.putArray("tools");
      all.forEach(t -> arr.add(Json.tool(t)));
      return ok(out);
    }));
  }

  private Route parked(String tool, java.util.Optional<String> limitText) {
    int limit = 100;
    if (limitText.isPresent()) {
      try {
        limit = Integer.parseInt(limitText.get());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 10_000) {
        return complete(problem(Problem.invalid(Map.of("limit", "must be an integer between 1 and 10000, was " + limitText.get()))));
      }
    }
    return respond(node.parked(tool, limit).thenApply(p -> {
      ObjectNode out = Json.MAPPER.createObjectNode();
      out.put("tool", tool);
      out.put("count", p.count());
      ArrayNode items = out.putArray("items");
      p.items().forEach(items::add);
      return ok(out);
    }));
  }

  // ---- read side --------------------------------------------------------------------------

  private Route list(String queue, Map<String, String> params) {
    requireQueue(queue);
    Map<String, String> errors = new LinkedHashMap<>();
    ItemIndex.Query query = ReadParams.listQuery(queue, params, errors);
    if (query == null) {
      return complete(problem(Problem.invalid(errors)));
    }
    return respond(node.index().list(query).thenApply(page -> ok(Json.page(page))));
  }

  private Route stats(String queue) {
    requireQueue(queue);
    return respond(node.index().stats(queue, Instant.now())
        .thenCombine(node.dispatcherStats(), (s, d) -> ok(Json.stats(s, paused(d, queue)))));
  }

  /** A what-if replay of the queue's recent items under another retry policy: read-only (docs/REPLAY.md). */
  private Route replay(String queue, JsonNode body) {
    QueueSettings q = requireQueue(queue);
    Map<String, String> errors = new LinkedHashMap<>();
    io.rebound.core.replay.ReplayRequest request = ReplayBody.parse(queue, body, q.retryPolicy(), settings, Instant.now(), errors);
    if (request == null) {
      return complete(problem(Problem.invalid(errors)));
    }
    return respond(node.replay(request).thenApply(r -> ok(ReplayJson.report(r))));
  }

  private Route redriveDeadLetters(String queue, JsonNode body) {
    requireQueue(queue);
    Map<String, String> errors = new LinkedHashMap<>();
    ItemIndex.DeadLetterFilter filter = ReadParams.redriveFilter(body, errors);
    if (filter == null) {
      return complete(problem(Problem.invalid(errors)));
    }
    return respond(node.redriveDeadLetters(queue, filter).thenApply(r -> {
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("queue", queue);
      o.put("matched", r.matched());
      o.put("ratePerSecond", r.ratePerSecond());
      return json(StatusCodes.ACCEPTED, o);
    }));
  }

  private Route alerts() {
    return respond(node.alerts().thenApply(r -> ok(Json.alerts(r))));
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private static boolean paused(Rebound.Permits stats, String queue) {
    Rebound.QueuePermits s = stats.queues().get(queue);
    return s != null && s.paused();
  }

  private QueueSettings requireQueue(String queue) {
    QueueSettings q = node.queues().get(queue);
    if (q == null) {
      throw new UnknownQueueException(queue);
    }
    return q;
  }

  private long singleLimit() {
    return maxPayload + 64 * 1024;
  }

  /** {@code rebound.http.max-batch-body}: a batch is read whole (as text, then a tree), so it is bounded by itself. */
  private long batchLimit() {
    return settings.maxBatchBody();
  }

  /**
   * Reads the body as JSON within a size limit; malformed JSON is a 400 problem. A body whose
   * Content-Length is over the limit is refused before a byte of it is read; one without (chunked)
   * is refused as soon as it grows past the limit, never held whole.
   */
  private Route body(Access.Caller c, long limit, boolean batch, Function<JsonNode, Route> inner) {
    return extractRequest(request -> {
      java.util.OptionalLong length = request.entity().getContentLengthOption();
      if (length.isPresent() && length.getAsLong() > limit) {
        return complete(problem(Problem.tooLarge("the request body is " + length.getAsLong() + " bytes, more than the limit of " + limit)));
      }
      return readBody(limit, batch, text -> {
        if (length.isEmpty()) {
          access.chargeBytes(c, text.length());
        }
      }, inner);
    });
  }

  /** Payloads stay as sent ({@link RawPayloads}). */
  private Route readBody(long limit, boolean batch, java.util.function.Consumer<String> read, Function<JsonNode, Route> inner) {
    return withSizeLimit(limit, () -> entity(Unmarshaller.entityToString(), text -> {
      read.accept(text);
      JsonNode node;
      try {
        node = RawPayloads.read(text, batch);
      } catch (JsonProcessingException e) {
        return complete(problem(Problem.malformed(notJson(e))));
      } catch (java.io.IOException e) {
        return complete(problem(Problem.malformed("the body is not valid JSON")));
      }
      if (node == null || node.isMissingNode()) {
        return complete(problem(Problem.malformed("the body is empty")));
      }
      return inner.apply(node);
    }));
  }

  /** As {@link #body}, but an empty body is an empty object. */
  private Route optionalBody(Function<JsonNode, Route> inner) {
    return withSizeLimit(64 * 1024, () -> entity(Unmarshaller.entityToString(), text -> {
      if (text.isBlank()) {
        return inner.apply(Json.MAPPER.createObjectNode());
      }
      try {
        return inner.apply(Json.MAPPER.readTree(text));
      } catch (JsonProcessingException e) {
        return complete(problem(Problem.malformed(notJson(e))));
      }
    }));
  }

  /** Where the JSON broke, without the parser's own text (it quotes the body and names internals). */
  static String notJson(JsonProcessingException e) {
    var at = e.getLocation();
    return "the body is not valid JSON" + (at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
  }

  private Route respond(CompletionStage<HttpResponse> response) {
    return completeWithFuture(response.exceptionally(e -> problem(problemOf(e))));
  }

  private static HttpResponse ok(Object body) {
    return json(StatusCodes.OK, body);
  }

  private static HttpResponse json(org.apache.pekko.http.javadsl.model.StatusCode status, Object body) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
  }

  static HttpResponse problem(Problem p) {
    HttpResponse r = HttpResponse.create().withStatus(p.status()).withEntity(PROBLEM_JSON, Json.bytes(p));
    // Overloaded or an item slow to answer: both pass within a moment.
    return p.status() == 503 ? r.addHeader(org.apache.pekko.http.javadsl.model.headers.RetryAfter.create(1L)) : r;
  }

  /** Maps what the facade fails with to a problem; anything unexpected is logged, never echoed. */
  static Problem problemOf(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof UnknownQueueException || e instanceof ItemNotFoundException || e instanceof UnknownToolException) {
      return Problem.notFound(e.getMessage());
    }
    if (e instanceof IllegalTransitionException || e instanceof io.rebound.core.index.IndexRebuild.AlreadyRunningException) {
      return Problem.conflict(e.getMessage());
    }
    if (e instanceof EnqueueBody.TooLarge || e instanceof EntityStreamSizeException) {
      return Problem.tooLarge(e instanceof EnqueueBody.TooLarge ? e.getMessage() : "the request body is over the limit");
    }
    if (e instanceof io.rebound.core.enqueue.OverloadedException) {
      return Problem.unavailable(e.getMessage());
    }
    if (e instanceof AskTimeoutException || e instanceof TimeoutException) {
      return Problem.unavailable("the item did not answer in time; try again");
    }
    LOG.error("Unexpected error serving a request", e);
    return Problem.of(500, "internal", "Internal error", "the request failed; the node's log has the details");
  }

  /** Whether reading a body failed on its size limit (the exception may come wrapped). */
  static boolean tooLarge(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof EntityStreamSizeException) {
        return true;
      }
    }
    return false;
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder().match(Throwable.class, e -> complete(problem(problemOf(e)))).build();
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r -> complete(problem(
            tooLarge(r.getCause()) ? Problem.tooLarge("the request body is over the limit")
                : Problem.malformed("the body could not be read"))))
        .handleAll(MethodRejection.class, rs -> complete(problem(Problem.of(405, "method-not-allowed", "Method not allowed",
            "use " + String.join(" or ", rs.stream().map(r -> r.supported().name()).distinct().toList())))))
        .handleNotFound(complete(problem(Problem.notFound("no such resource; see docs/API.md"))))
        // Other rejections (headers, parameters): their text is Pekko's, not for clients.
        .handleAll(Rejection.class, rs -> complete(problem(Problem.of(400, "bad-request", "Bad request",
            "the request could not be handled as sent; see docs/API.md"))))
        .build();
  }
}
