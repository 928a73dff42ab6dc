package io.rebound.api;

import java.time.Duration;
import java.util.Optional;

/** A failure worth retrying; optionally says how long to wait (an HTTP Retry-After, say). */
public class TransientException extends RuntimeException {
  private final Duration retryAfter;

  public TransientException(String message) {
    this(message, null, null);
  }

  public TransientException(String message, Throwable cause) {
    this(message, cause, null);
  }

  /** @param retryAfter the delay before the next attempt, instead of the policy's; null for the policy's */
  public TransientException(String message, Throwable cause, Duration retryAfter) {
    super(message, cause);
    if (retryAfter != null && retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative: " + retryAfter);
    }
    this.retryAfter = retryAfter;
  }

  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
