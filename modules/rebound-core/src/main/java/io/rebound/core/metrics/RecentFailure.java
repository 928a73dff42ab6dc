package io.rebound.core.metrics;

import io.rebound.api.ErrorKind;
import java.time.Instant;

/** One failed attempt, as the JSON view lists the latest ones. */
public record RecentFailure(String id, String queue, ErrorKind kind, String message, Instant at) {}
