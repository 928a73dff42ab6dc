package io.rebound.core.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.Collections;
import java.util.function.Supplier;

/**
 * The trace context an item carries from its enqueue to its attempts: the W3C {@code traceparent}
 * text ({@code 00-<trace id>-<span id>-<flags>}), kept in the item's {@code Enqueued} event. Only
 * the OpenTelemetry API is used: with no SDK there is no current span and nothing is kept.
 */
public final class Traceparent {
  private Traceparent() {}

  public static final String HEADER = "traceparent";

  private static final TextMapGetter<String> ONE = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(String carrier) {
      return Collections.singleton(HEADER);
    }

    @Override
    public String get(String carrier, String key) {
      return HEADER.equals(key) ? carrier : null;
    }
  };

  /** The current span's traceparent, or null when there is none (no SDK, or no span). */
  public static String current() {
    return of(Context.current());
  }

  static String of(Context context) {
    SpanContext span = Span.fromContext(context).getSpanContext();
    if (!span.isValid()) {
      return null;
    }
    return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
  }

  /** The span context a traceparent names (remote), or none when it is null or not valid. */
  static SpanContext parse(String traceparent) {
    if (traceparent == null) {
      return SpanContext.getInvalid();
    }
    Context c = W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, ONE);
    return Span.fromContext(c).getSpanContext();
  }

  /**
   * Runs {@code work} with the traceparent's span as the current context (an HTTP request's
   * {@code traceparent} header around its enqueue); as is when it is null or not valid, or when a
   * span is current already (an agent tracing the HTTP server made one, a child of the header).
   */
  public static <T> T withRemoteParent(String traceparent, Supplier<T> work) {
    SpanContext parent = parse(traceparent);
    if (!parent.isValid() || Span.current().getSpanContext().isValid()) {
      return work.get();
    }
    try (Scope s = Context.current().with(Span.wrap(parent)).makeCurrent()) {
      return work.get();
    }
  }
}
