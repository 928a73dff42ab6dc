package io.rebound.core.enqueue;

import java.time.Duration;

/**
 * The node has {@code rebound.backpressure.max-enqueues-in-flight} enqueues in progress and
 * refuses more for now: try again after {@link #retryAfter()}. Nothing was enqueued.
 */
public final class OverloadedException extends RuntimeException {
  private final Duration retryAfter;

  public OverloadedException(int inFlight, Duration retryAfter) {
    super("the node has " + inFlight + " enqueues in progress (rebound.backpressure.max-enqueues-in-flight); try again in "
        + retryAfter.toSeconds() + "s");
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
