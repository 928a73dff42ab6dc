package io.rebound.bench;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Enqueue-to-done latency by item id, stamped with the bench's own clock (System.nanoTime()) the
 * same way for Rebound and the peer. Start and end are kept apart and joined at the end, because
 * an item can finish before the thread that enqueued it has learnt its id.
 */
public final class LatencyRecorder {
  private final Map<String, Long> started = new ConcurrentHashMap<>();
  private final Map<String, Long> finished = new ConcurrentHashMap<>();

  public void started(String id, long nanos) {
    started.put(id, nanos);
  }

  public void finished(String id, long nanos) {
    finished.putIfAbsent(id, nanos);
  }

  public int finishedCount() {
    return finished.size();
  }

  /**
   * The p99 of the items due within each window from {@code t0}, in ms, for a person to read
   * ("p99 per 10 s: 1227.7 · 14.2 · ... ms"): shows whether a run's tail is its first seconds
   * (a cold JVM) or spread over the run.
   */
  public String p99PerWindow(long t0, long windowNanos) {
    java.util.TreeMap<Long, java.util.List<Double>> windows = new java.util.TreeMap<>();
    started.forEach((id, at) -> {
      Long end = finished.get(id);
      if (end != null) {
        windows.computeIfAbsent(Math.max(0, at - t0) / windowNanos, k -> new java.util.ArrayList<>()).add((end - at) / 1e6);
      }
    });
    StringBuilder out = new StringBuilder();
    windows.values().forEach(list -> {
      double[] ms = list.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      out.append(out.length() == 0 ? "" : " · ").append(String.format(java.util.Locale.ROOT, "%.1f", Stats.percentile(ms, 0.99)));
    });
    return "p99 per " + windowNanos / 1_000_000_000L + " s: " + out + " ms";
  }

  /** The latencies of the items both started and finished, in ms, sorted. */
  public double[] sortedMillis() {
    double[] out = started.entrySet().stream()
        .filter(e -> finished.containsKey(e.getKey()))
        .mapToDouble(e -> (finished.get(e.getKey()) - e.getValue()) / 1e6)
        .toArray();
    Arrays.sort(out);
    return out;
  }
}
