package io.rebound.server.http;

import io.rebound.api.ErrorKind;
import io.rebound.core.index.ItemIndex;
import io.rebound.core.item.ItemStatus;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/** Reads the read side's query parameters and bodies; every mistake goes into {@code errors} by field. */
final class ReadParams {
  static final int DEFAULT_LIMIT = 100;
  /** The largest page of an item's history ({@code GET /v1/items/{id}/history?limit=}). */
  static final int MAX_HISTORY_LIMIT = 1000;
  static final int DEFAULT_REDRIVE_MAX = 1000;
  static final int MAX_REDRIVE = 100_000;

  private ReadParams() {}

  /** The list query of {@code GET /v1/queues/{queue}/items}, or null with errors filled. */
  static ItemIndex.Query listQuery(String queue, Map<String, String> params, Map<String, String> errors) {
    ItemStatus status = enumParam("status", params.get("status"), ItemStatus.class, errors);
    ErrorKind kind = enumParam("errorKind", params.get("errorKind"), ErrorKind.class, errors);
    int limit = intParam("limit", params.get("limit"), DEFAULT_LIMIT, 1, ItemIndex.MAX_LIMIT, errors);
    String after = params.get("after");
    if (after != null && !ItemIndex.isCursor(after)) {
      errors.put("after", "is not a cursor this API returned (use the 'next' of a previous page)");
    }
    return errors.isEmpty() ? new ItemIndex.Query(queue, status, kind, limit, after) : null;
  }

  /** The filter of a bulk redrive: {@code {"errorKind": "TRANSIENT", "from": ..., "to": ..., "max": 500}}, all optional. */
  static ItemIndex.DeadLetterFilter redriveFilter(JsonNode body, Map<String, String> errors) {
    if (!body.isObject()) {
      errors.put("body", "must be a JSON object (or empty)");
      return null;
    }
    for (var it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("errorKind") && !f.equals("from") && !f.equals("to") && !f.equals("max")) {
        errors.put(f, "is not a field of a redrive filter (errorKind, from, to, max)");
      }
    }
    ErrorKind kind = body.hasNonNull("errorKind") ? enumParam("errorKind", body.get("errorKind").asText(), ErrorKind.class, errors) : null;
    Instant from = instant("from", body.get("from"), errors);
    Instant to = instant("to", body.get("to"), errors);
    if (from != null && to != null && !from.isBefore(to)) {
      errors.put("to", "must be after from");
    }
    int max = DEFAULT_REDRIVE_MAX;
    JsonNode m = body.get("max");
    if (m != null && !m.isNull()) {
      if (!m.canConvertToInt() || !m.isIntegralNumber() || m.asInt() < 1 || m.asInt() > MAX_REDRIVE) {
        errors.put("max", "must be an integer between 1 and " + MAX_REDRIVE + ", was " + m);
      } else {
        max = m.asInt();
      }
    }
    return errors.isEmpty() ? new ItemIndex.DeadLetterFilter(kind, from, to, max) : null;
  }

  private static Instant instant(String field, JsonNode n, Map<String, String> errors) {
    if (n == null || n.isNull()) {
      return null;
    }
    try {
      return Instant.parse(n.asText());
    } catch (DateTimeParseException e) {
      errors.put(field, "must be an ISO-8601 instant such as 2026-01-31T12:00:00Z, was " + n);
      return null;
    }
  }

  static <E extends Enum<E>> E enumParam(String field, String value, Class<E> type, Map<String, String> errors) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      errors.put(field, "must be one of " + Arrays.toString(type.getEnumConstants()) + ", was " + value);
      return null;
    }
  }

  static int intParam(String field, String value, int fallback, int min, int max, Map<String, String> errors) {
    if (value == null) {
      return fallback;
    }
    try {
      int v = Integer.parseInt(value.trim());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    errors.put(field, "must be an integer between " + min + " and " + max + ", was " + value);
    return fallback;
  }

}
