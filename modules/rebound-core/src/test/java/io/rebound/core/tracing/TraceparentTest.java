package io.rebound.core.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.opentelemetry.api.GlobalOpenTelemetry;
import org.junit.jupiter.api.Test;

class TraceparentTest {
  private static final String HEADER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void without_a_span_nothing_is_captured() {
    assertNull(Traceparent.current());
  }

  @Test
  void a_traceparent_header_is_the_current_context_around_an_enqueue_and_is_captured_as_it_came() {
    assertEquals(HEADER, Traceparent.withRemoteParent(HEADER, Traceparent::current));
    assertNull(Traceparent.withRemoteParent(null, Traceparent::current));
    assertNull(Traceparent.withRemoteParent("not-a-traceparent", Traceparent::current));
  }

  @Test
  void malformed_traceparents_name_no_parent() {
    assertFalse(Traceparent.parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01").isValid());
    assertFalse(Traceparent.parse("garbage").isValid());
    assertFalse(Traceparent.parse(null).isValid());
  }

  @Test
  void with_no_sdk_an_attempt_span_is_the_apis_no_op() {
    // No SDK registered: the global tracer is the no-op one and the span records nothing.
    GlobalOpenTelemetry.resetForTest();
    AttemptSpan span = AttemptSpan.start(HEADER, "q", "id", 1, 1);
    assertEquals(HEADER, span.around(Traceparent::current), "the no-op span still carries its parent's context");
    span.end(null, null, null, false);
    // Nor did it register the no-op for good: an application may still register its SDK later.
    assertFalse(GlobalOpenTelemetry.isSet());
    GlobalOpenTelemetry.resetForTest();
  }
}
