package io.rebound.core.tracing;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.rebound.api.ErrorKind;
import java.util.function.Supplier;

/**
 * One attempt as a span, {@code rebound.attempt}, from the handler's start to its end, with the
 * OpenTelemetry messaging conventions (a CONSUMER span, {@code messaging.operation.type =
 * process}). The first execution is a child of the enqueuing span; later ones start traces of
 * their own, linked to it (they may run hours later). The handler runs with the span current.
 *
 * <p>The tracer is {@link GlobalOpenTelemetry}'s, looked up at each attempt, so an SDK registered
 * after the node started is used; with none, every call here is the API's no-op.
 */
public final class AttemptSpan {
  public static final String NAME = "rebound.attempt";
  public static final String INSTRUMENTATION = "io.rebound";

  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<String> QUEUE = AttributeKey.stringKey("rebound.queue");
  static final AttributeKey<String> ITEM_ID = AttributeKey.stringKey("rebound.item.id");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("rebound.attempt");
  static final AttributeKey<Long> EXECUTION = AttributeKey.longKey("rebound.execution");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("rebound.outcome");
  static final AttributeKey<String> ERROR_KIND = AttributeKey.stringKey("rebound.error.kind");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private final Span span;

  private AttemptSpan(Span span) {
    this.span = span;
  }

  /**
   * Starts the span of an execution.
   *
   * @param traceparent the item's, from its enqueue, or null
   */
  public static AttemptSpan start(String traceparent, String queue, String itemId, int attempt, int execution) {
    Tracer tracer = openTelemetry().getTracer(INSTRUMENTATION);
    SpanContext enqueuing = Traceparent.parse(traceparent);
    SpanBuilder b = tracer.spanBuilder(NAME)
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute(SYSTEM, "rebound")
        .setAttribute(DESTINATION, queue)
        .setAttribute(OPERATION_TYPE, "process")
        .setAttribute(OPERATION_NAME, "process")
        .setAttribute(MESSAGE_ID, itemId)
        .setAttribute(QUEUE, queue)
        .setAttribute(ITEM_ID, itemId)
        .setAttribute(ATTEMPT, (long) attempt)
        .setAttribute(EXECUTION, (long) execution);
    if (!enqueuing.isValid()) {
      b.setNoParent();
    } else if (execution <= 1) {
      b.setParent(Context.root().with(Span.wrap(enqueuing)));
    } else {
      b.setNoParent().addLink(enqueuing, Attributes.empty());
    }
    return new AttemptSpan(b.startSpan());
  }

  /** Whether GlobalOpenTelemetry may autoconfigure itself on first use (the SDK's own switch). */
  private static final boolean AUTOCONFIGURE = Boolean.parseBoolean(System.getProperty("otel.java.global-autoconfigure.enabled",
      System.getenv().getOrDefault("OTEL_JAVA_GLOBAL_AUTOCONFIGURE_ENABLED", "false")));

  /**
   * The application's registered OpenTelemetry, or the no-op. {@code GlobalOpenTelemetry.get()}
   * with nothing registered would register the no-op for good, and the application's own
   * registration, should it come after an attempt, would then fail: so it is called only when
   * something is registered, or when the application asked for autoconfiguration on first use.
   */
  static OpenTelemetry openTelemetry() {
    return GlobalOpenTelemetry.isSet() || AUTOCONFIGURE ? GlobalOpenTelemetry.get() : OpenTelemetry.noop();
  }

  /** Runs the handler's call with this span current (on the handler's thread). */
  public <T> T around(Supplier<T> handlerCall) {
    try (Scope s = span.makeCurrent()) {
      return handlerCall.get();
    }
  }

  /**
   * Ends the span with the attempt's outcome: {@code kind} null is a success, TOOL_UNAVAILABLE
   * parked the item (no attempt counted), anything else a failure.
   *
   * @param error what the handler threw or failed with, or null
   * @param cancelled whether the item had told the handler to stop (a timeout, cancel or handoff)
   */
  public void end(ErrorKind kind, String message, Throwable error, boolean cancelled) {
    if (kind == null) {
      span.setAttribute(OUTCOME, "succeeded");
    } else {
      span.setAttribute(OUTCOME, kind == ErrorKind.TOOL_UNAVAILABLE ? "parked" : "failed");
      span.setAttribute(ERROR_KIND, kind.name());
      span.setAttribute(ERROR_TYPE, kind.name());
      if (kind != ErrorKind.TOOL_UNAVAILABLE) {
        span.setStatus(StatusCode.ERROR, message == null ? kind.name() : message);
      }
      Throwable cause = error;
      while ((cause instanceof java.util.concurrent.CompletionException || cause instanceof java.util.concurrent.ExecutionException)
          && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause != null) {
        span.recordException(cause);
      }
    }
    if (cancelled) {
      span.setAttribute("rebound.cancelled", true);
    }
    span.end();
  }
}
