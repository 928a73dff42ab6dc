package io.rebound.server.http;

import java.util.Map;

/**
 * An RFC 9457 problem document: what went wrong, and for invalid input, what was wrong with
 * each field. Never carries stack traces or internal exception text.
 */
public record Problem(String type, String title, int status, String detail, Map<String, String> errors) {

  static Problem of(int status, String slug, String title, String detail) {
    return new Problem("urn:rebound:problem:" + slug, title, status, detail, null);
  }

  static Problem invalid(Map<String, String> errors) {
    String detail = errors.size() == 1
        ? errors.keySet().iterator().next() + " " + errors.values().iterator().next()
        : errors.size() + " fields are invalid";
    // Keeps the order the fields were checked in (Map.copyOf would not).
    return new Problem("urn:rebound:problem:invalid-request", "Invalid request", 400, detail,
        java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(errors)));
  }

  static Problem malformed(String detail) {
    return of(400, "malformed-json", "Malformed JSON", detail);
  }

  static Problem notFound(String detail) {
    return of(404, "not-found", "Not found", detail);
  }

  static Problem conflict(String detail) {
    return of(409, "conflict", "Conflict", detail);
  }

  static Problem tooLarge(String detail) {
    return of(413, "too-large", "Payload too large", detail);
  }

  static Problem unavailable(String detail) {
    return of(503, "unavailable", "Service unavailable", detail);
  }
}
