package io.rebound.core.storage;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** The one conversion of an instant to the timestamps Rebound's tables keep. */
public final class SqlTime {
  private SqlTime() {}

  /**
   * Microseconds, the precision both databases keep, so that keyset cursors round-trip. Every
   * reader and writer of the index's timestamps uses this one conversion.
   */
  public static OffsetDateTime of(Instant at) {
    return at == null ? null : OffsetDateTime.ofInstant(at.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }
}
