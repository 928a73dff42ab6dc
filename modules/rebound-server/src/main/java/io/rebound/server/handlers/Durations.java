package io.rebound.server.handlers;

import java.time.Duration;

/** Durations written the way config writes them: {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
final class Durations {
  private Durations() {}

  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0 && !d.isZero()) {
      return d.toNanos() + "ns";
    }
    if (ms % 3_600_000 == 0 && ms != 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms != 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
