package io.rebound.server.security;

import java.util.Arrays;
import java.util.Locale;

/**
 * What a token may do on the HTTP API. Each role may do everything the one before it may:
 * metrics reads the metrics only (for Prometheus), a viewer also reads queues and items (without
 * payloads), a producer also enqueues and reads payloads, an operator also changes items and queues.
 * docs/SECURITY.md has the table of endpoints.
 */
public enum Role {
  METRICS,
  VIEWER,
  PRODUCER,
  OPERATOR;

  /** Whether a caller with this role may use an endpoint that requires {@code required}. */
  public boolean allows(Role required) {
    return ordinal() >= required.ordinal();
  }

  /** @throws IllegalArgumentException naming the roles, when the text is none of them */
  public static Role parse(String text) {
    String s = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
    for (Role r : values()) {
      if (r.name().equals(s)) {
        return r;
      }
    }
    throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(Role::label).toList() + ", was \"" + text + "\"");
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
