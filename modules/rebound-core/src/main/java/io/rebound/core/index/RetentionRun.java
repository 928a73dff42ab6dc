package io.rebound.core.index;

import io.rebound.core.item.ItemStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What one retention run did: an immutable value.
 *
 * @param startedAt the clock's time when the run started (every cutoff is measured from it)
 * @param finishedAt the clock's time when it finished
 * @param purged items purged, by queue and terminal status (only non-zero counts appear)
 * @param events journal events deleted with them
 * @param skipped items that were due by their index row but were not purged, because the row or
 *     the journal had moved on (redriven, or purged by another node); the next run looks again
 * @param batchFilled whether some queue and status had more items due than the batch size
 */
public record RetentionRun(
    Instant startedAt, Instant finishedAt, Map<String, Map<ItemStatus, Integer>> purged, long events, int skipped, boolean batchFilled) {

  public RetentionRun {
    TreeMap<String, Map<ItemStatus, Integer>> copy = new TreeMap<>();
    purged.forEach((queue, byStatus) -> {
      EnumMap<ItemStatus, Integer> counts = new EnumMap<>(ItemStatus.class);
      byStatus.forEach((status, n) -> {
        if (n > 0) {
          counts.put(status, n);
        }
      });
      if (!counts.isEmpty()) {
        copy.put(queue, Map.copyOf(counts));
      }
    });
    // Sorted copies, so that the log line and toString read the same every time.
    purged = Collections.unmodifiableMap(copy);
  }

  /** Items purged of one queue and status. */
  public int purged(String queue, ItemStatus status) {
    return purged.getOrDefault(queue, Map.of()).getOrDefault(status, 0);
  }

  /** Items purged in all. */
  public int total() {
    return purged.values().stream().flatMap(m -> m.values().stream()).mapToInt(Integer::intValue).sum();
  }

  /** Whether it purged or skipped anything: the runs worth a log line. */
  public boolean didAnything() {
    return total() > 0 || skipped > 0;
  }

  public Duration took() {
    return Duration.between(startedAt, finishedAt);
  }

  /** e.g. {@code emails: SUCCEEDED=10 DEAD_LETTERED=2; reports: CANCELLED=1}. */
  public String summary() {
    return purged.entrySet().stream()
        .map(q -> q.getKey() + ": " + new EnumMap<>(q.getValue()).entrySet().stream()
            .map(s -> s.getKey() + "=" + s.getValue())
            .collect(Collectors.joining(" ")))
        .collect(Collectors.joining("; "));
  }
}
