package io.rebound.bench;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One run's figures as a single machine-readable line, so that a parent bench can read what a
 * child JVM measured: {@code RESULT system=rebound workload=W1 run=1 items=200 itemsPerSec=812.3
 * p50Ms=12.1 p99Ms=40.2 maxMs=45.0 cpuMsPerItem=2.710 ok=true}. A figure a run could not
 * measure is {@code NaN}.
 *
 * @param system who ran it: {@code rebound}, {@code db-scheduler} or {@code db-scheduler+immediate}
 * @param run 1 for the first run in its JVM (cold), 2 and up for the later (warm) ones
 * @param itemsPerSec first enqueue to last item done (W3: the rate actually offered)
 * @param cpuMsPerItem process CPU from the previous run's end (the JVM's start for run 1) to this
 *     run's end, divided by the items
 * @param ok whether every item succeeded with the expected number of handler invocations
 */
public record RunResult(
    String system, String workload, int run, int items, double itemsPerSec, double p50Ms, double p99Ms,
    double maxMs, double cpuMsPerItem, boolean ok) {

  static final String PREFIX = "RESULT ";

  public String line() {
    return String.format(Locale.ROOT,
        "%ssystem=%s workload=%s run=%d items=%d itemsPerSec=%.1f p50Ms=%.2f p99Ms=%.2f maxMs=%.2f cpuMsPerItem=%.3f ok=%s",
        PREFIX, system, workload, run, items, itemsPerSec, p50Ms, p99Ms, maxMs, cpuMsPerItem, ok);
  }

  /** The result a line holds, or empty when it is not a result line (a child's other output). */
  public static Optional<RunResult> parse(String line) {
    if (line == null || !line.startsWith(PREFIX)) {
      return Optional.empty();
    }
    Map<String, String> f = new HashMap<>();
    for (String pair : line.substring(PREFIX.length()).trim().split("\\s+")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        f.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
    }
    try {
      return Optional.of(new RunResult(
          required(f, "system"), required(f, "workload"), Integer.parseInt(required(f, "run")),
          Integer.parseInt(required(f, "items")), num(f, "itemsPerSec"), num(f, "p50Ms"), num(f, "p99Ms"),
          num(f, "maxMs"), num(f, "cpuMsPerItem"), Boolean.parseBoolean(required(f, "ok"))));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed result line: " + line, e);
    }
  }

  private static String required(Map<String, String> f, String key) {
    String v = f.get(key);
    if (v == null) {
      throw new IllegalArgumentException("no " + key);
    }
    return v;
  }

  private static double num(Map<String, String> f, String key) {
    return Double.parseDouble(required(f, key));
  }
}
