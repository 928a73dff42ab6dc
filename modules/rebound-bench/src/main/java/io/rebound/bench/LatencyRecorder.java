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
