package io.rebound.core.tracing;

import static io.rebound.core.TestNodes.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.rebound.api.TransientException;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemIds;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** With an SDK registered globally and the in-memory exporter: the spans of an item's attempts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TracingEndToEndTest {
  private static final String QUEUES = """
      rebound.queues.traced.retry { max-attempts = 5, initial = 10ms, jitter = none }
      rebound.outbox.poll-interval = 50ms
      """;

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private OpenTelemetrySdk sdk;
  private Rebound node;
  private Path dir;
  /** item id + execution -> the span the handler saw as current. */
  private final Map<String, SpanContext> seen = new ConcurrentHashMap<>();

  @BeforeAll
  void start(@TempDir Path dir) {
    this.dir = dir;
    GlobalOpenTelemetry.resetForTest();
    sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .buildAndRegisterGlobal();
    // Fails its first two executions, then succeeds; notes the span it runs in.
    node = Rebound.start(TestNodes.config(dir, QUEUES), Map.of("traced", ctx -> {
      seen.put(ctx.itemId() + "#" + ctx.execution(), Span.current().getSpanContext());
      if (ctx.execution() <= 2) {
        throw new TransientException("not yet (" + ctx.execution() + ")");
      }
      return CompletableFuture.completedFuture(null);
    }));
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
    sdk.close();
    GlobalOpenTelemetry.resetForTest();
  }

  @Test
  void a_traced_enqueue_then_two_failed_attempts_and_a_success_make_three_spans_the_first_a_child_the_others_linked() {
    Span checkout = sdk.getTracer("test").spanBuilder("checkout").startSpan();
    String id;
    try (Scope s = checkout.makeCurrent()) {
      id = await(node.enqueue("traced", EnqueueRequest.builder("{}").build())).item().id();
    } finally {
      checkout.end();
    }
    List<SpanData> attempts = attemptSpans(id, 3);
    SpanContext enqueuing = checkout.getSpanContext();

    SpanData first = attempts.get(0);
    assertEquals(enqueuing.getTraceId(), first.getTraceId());
    assertEquals(enqueuing.getSpanId(), first.getParentSpanId(), "the first attempt is a child of the enqueuing span");
    for (SpanData later : attempts.subList(1, 3)) {
      assertFalse(later.getParentSpanContext().isValid(), "a later attempt starts a trace of its own");
      assertEquals(1, later.getLinks().size());
      assertEquals(enqueuing.getSpanId(), later.getLinks().get(0).getSpanContext().getSpanId(), "linked to the enqueuing span");
      assertEquals(enqueuing.getTraceId(), later.getLinks().get(0).getSpanContext().getTraceId());
    }
    for (int i = 0; i < 3; i++) {
      SpanData span = attempts.get(i);
      assertEquals(AttemptSpan.NAME, span.getName());
      assertEquals(SpanKind.CONSUMER, span.getKind());
      assertEquals("rebound", span.getAttributes().get(AttributeKey.stringKey("messaging.system")));
      assertEquals("traced", span.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")));
      assertEquals("process", span.getAttributes().get(AttributeKey.stringKey("messaging.operation.type")));
      assertEquals(id, span.getAttributes().get(AttributeKey.stringKey("rebound.item.id")));
      assertEquals(i + 1L, span.getAttributes().get(AttributeKey.longKey("rebound.attempt")));
      assertEquals(i + 1L, span.getAttributes().get(AttributeKey.longKey("rebound.execution")));
      assertEquals(span.getSpanContext(), seen.get(id + "#" + (i + 1)), "the handler ran with its attempt's span current");
    }
    for (SpanData failed : attempts.subList(0, 2)) {
      assertEquals("failed", failed.getAttributes().get(AttributeKey.stringKey("rebound.outcome")));
      assertEquals("TRANSIENT", failed.getAttributes().get(AttributeKey.stringKey("rebound.error.kind")));
      assertEquals(StatusCode.ERROR, failed.getStatus().getStatusCode());
      assertEquals("exception", failed.getEvents().get(0).getName());
    }
    SpanData success = attempts.get(2);
    assertEquals("succeeded", success.getAttributes().get(AttributeKey.stringKey("rebound.outcome")));
    assertNull(success.getAttributes().get(AttributeKey.stringKey("rebound.error.kind")));
    assertEquals(StatusCode.UNSET, success.getStatus().getStatusCode());
  }

  @Test
  void an_untraced_enqueue_makes_attempt_spans_without_parent_or_link() {
    String id = await(node.enqueue("traced", EnqueueRequest.builder("{}").build())).item().id();
    for (SpanData span : attemptSpans(id, 3)) {
      assertFalse(span.getParentSpanContext().isValid());
      assertTrue(span.getLinks().isEmpty());
    }
  }

  @Test
  void an_outbox_row_carries_the_traceparent_of_whoever_wrote_it() throws Exception {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    String spanId = "00f067aa0ba902b7";
    try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "");
        Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO rebound_outbox (queue, payload, item_key, traceparent)"
          + " VALUES ('traced', '{}', 'from-sql', '00-" + traceId + "-" + spanId + "-01')");
    }
    SpanData first = attemptSpans(ItemIds.forKey("traced", "from-sql"), 3).get(0);
    assertEquals(traceId, first.getTraceId());
    assertEquals(spanId, first.getParentSpanId());
  }

  private List<SpanData> attemptSpans(String id, int count) {
    await().atMost(Duration.ofSeconds(30)).until(() -> spansOf(id).size() >= count);
    List<SpanData> spans = spansOf(id);
    assertEquals(count, spans.size(), spans.toString());
    return spans;
  }

  private List<SpanData> spansOf(String id) {
    return exporter.getFinishedSpanItems().stream()
        .filter(s -> id.equals(s.getAttributes().get(AttributeKey.stringKey("rebound.item.id"))))
        .sorted(Comparator.comparing(s -> s.getAttributes().get(AttributeKey.longKey("rebound.execution"))))
        .toList();
  }
}
