package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.format.DateTimeParseException;

/** Small text helpers for human-readable output. */
final class Format {
  private Format() {}

  /** The text on one line: line breaks become spaces. */
  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }

  /** {@code 1 item}, {@code 3 items}. */
  static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  /** A JSON value for a table cell: text as is, null or missing as "-", anything else as JSON. */
  static String cell(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return "-";
    }
    return oneLine(v.isTextual() ? v.asText() : v.toString());
  }

  /** An ISO-8601 duration from the API ({@code PT0.01S}) in the short form ({@code 10ms}). */
  static String duration(String iso) {
    if (iso == null) {
      return "-";
    }
    try {
      return duration(Duration.parse(iso));
    } catch (DateTimeParseException e) {
      return iso;
    }
  }

  static String duration(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    if (d.isNegative()) {
      b.append('-');
      d = d.negated();
    }
    long days = d.toDays();
    int hours = d.toHoursPart();
    int minutes = d.toMinutesPart();
    int seconds = d.toSecondsPart();
    int millis = d.toMillisPart();
    if (days > 0) {
      b.append(days).append('d');
    }
    if (hours > 0) {
      b.append(hours).append('h');
    }
    if (minutes > 0) {
      b.append(minutes).append('m');
    }
    if (seconds > 0) {
      b.append(seconds).append('s');
    }
    if (millis > 0 || b.length() == 0 || (b.length() == 1 && b.charAt(0) == '-')) {
      b.append(millis).append("ms");
    }
    return b.toString();
  }

  /** Compares with runs of digits as numbers, so that {@code items[2]} sorts before {@code items[10]}. */
  static int naturalCompare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char x = a.charAt(i);
      char y = b.charAt(j);
      if (Character.isDigit(x) && Character.isDigit(y)) {
        int si = i;
        int sj = j;
        while (i < a.length() && Character.isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isDigit(b.charAt(j))) {
          j++;
        }
        String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
        String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
        int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
        if (c != 0) {
          return c;
        }
      } else {
        if (x != y) {
          return Character.compare(x, y);
        }
        i++;
        j++;
      }
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
