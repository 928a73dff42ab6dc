package io.rebound.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.rebound.api.RetryPolicy;
import io.rebound.core.replay.ReplayRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Reads the body of {@code POST /v1/queues/{queue}/replay}: {@code {"since": "7d", "retry": {...}}},
 * optionally {@code until}, {@code limit} and {@code after} (to page the changed items).
 */
final class ReplayBody {
  private static final Set<String> FIELDS = Set.of("since", "until", "retry", "limit", "after");

  private ReplayBody() {}

  /** @return the request, or null with {@code errors} filled */
  static ReplayRequest parse(String queue, JsonNode body, RetryPolicy queuePolicy, ApiSettings limits, Instant now,
      Map<String, String> errors) {
    if (body == null || !body.isObject()) {
      errors.put("body", "must be a JSON object");
      return null;
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        errors.put(f, "is not a known field (" + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
    Instant until = now;
    JsonNode u = body.get("until");
    if (u != null && !u.isNull()) {
      until = instant("until", u, errors);
    }
    Instant since = null;
    JsonNode s = body.get("since");
    if (s == null || s.isNull()) {
      errors.put("since", "is required: how far back (e.g. \"7d\") or an ISO-8601 instant");
    } else if (!s.isTextual()) {
      errors.put("since", "must be a duration such as \"7d\" or an ISO-8601 instant");
    } else if (s.asText().contains(":")) {
      // An instant (2026-11-30T10:00:00Z); durations (7d, PT1H) never hold a colon.
      since = instant("since", s, errors);
    } else {
      try {
        Duration back = RetryPolicy.parseDuration(s.asText());
        since = until == null ? null : until.minus(back);
      } catch (IllegalArgumentException | ArithmeticException e) {
        errors.put("since", "must be a duration such as \"7d\" or an ISO-8601 instant, was " + s);
      }
    }
    if (since != null && until != null && since.isAfter(until)) {
      errors.put("since", "must not be after until");
    }
    RetryPolicy policy = queuePolicy;
    JsonNode r = body.get("retry");
    if (r == null || r.isNull()) {
      errors.put("retry", "is required: the retry policy to replay, as on enqueue (e.g. {\"maxAttempts\": 8})");
    } else {
      policy = EnqueueBody.retry(r, "retry", queuePolicy, limits, errors);
    }
    int limit = ReplayRequest.DEFAULT_CHANGES;
    JsonNode l = body.get("limit");
    if (l != null && !l.isNull()) {
      if (!l.isIntegralNumber() || !l.canConvertToInt() || l.asInt() < 1 || l.asInt() > ReplayRequest.MAX_CHANGES) {
        errors.put("limit", "must be an integer between 1 and " + ReplayRequest.MAX_CHANGES + ", was " + l);
      } else {
        limit = l.asInt();
      }
    }
    String after = null;
    JsonNode a = body.get("after");
    if (a != null && !a.isNull()) {
      after = a.asText();
      if (!a.isTextual() || !io.rebound.core.replay.QueueReplay.isCursor(after)) {
        errors.put("after", "is not a cursor this API returned (use the 'next' of a previous answer, with its window)");
      }
    }
    return errors.isEmpty() ? new ReplayRequest(queue, since, until, policy, limit, after) : null;
  }

  private static Instant instant(String field, JsonNode n, Map<String, String> errors) {
    try {
      return Instant.parse(n.asText().trim());
    } catch (DateTimeParseException e) {
      errors.put(field, "must be an ISO-8601 instant such as 2026-01-31T12:00:00Z, was " + n);
      return null;
    }
  }
}
