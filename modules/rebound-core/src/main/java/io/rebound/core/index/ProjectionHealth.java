package io.rebound.core.index;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * How the index projections running on this node are doing: each slice's handler reports every
 * group it wrote or failed to write. A slice that failed {@link #FAILING_AFTER} groups in a row
 * (the projection restarts and retries the same events) is failing: the node's {@code /ready}
 * goes down and {@code GET /v1/alerts} lists an {@code index-stalled} alert, instead of the read
 * side falling behind silently.
 */
public final class ProjectionHealth implements Extension {
  /** Failed groups in a row after which a slice counts as failing. */
  public static final int FAILING_AFTER = 3;

  /** A slice that keeps failing: how often in a row, since when, and the last error. */
  public record Failing(String slice, int failures, Instant since, String lastError) {}

  private record SliceState(int failures, Instant since, String lastError) {}

  private final Map<String, SliceState> slices = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong quarantined = new java.util.concurrent.atomic.AtomicLong();

  public static ProjectionHealth get(ActorSystem<?> system) {
    return system.registerExtension(Id.INSTANCE);
  }

  /** Events this node's projections put in quarantine (rebound_index_quarantine). */
  void quarantined(int events) {
    quarantined.addAndGet(events);
  }

  /** Events this node's projections quarantined since it started: a counter. */
  public long quarantined() {
    return quarantined.get();
  }

  public void succeeded(String slice) {
    slices.remove(slice);
  }

  public void failed(String slice, Throwable error, Instant at) {
    String message = error.getMessage() == null ? error.getClass().getName() : error.getMessage();
    slices.compute(slice, (k, s) -> s == null ? new SliceState(1, at, message) : new SliceState(s.failures() + 1, s.since(), message));
  }

  /** The slices of this node that failed at least {@link #FAILING_AFTER} groups in a row. */
  public List<Failing> failing() {
    return slices.entrySet().stream()
        .filter(e -> e.getValue().failures() >= FAILING_AFTER)
        .map(e -> new Failing(e.getKey(), e.getValue().failures(), e.getValue().since(), e.getValue().lastError()))
        .sorted(java.util.Comparator.comparing(Failing::slice))
        .toList();
  }

  static final class Id extends ExtensionId<ProjectionHealth> {
    static final Id INSTANCE = new Id();

    @Override
    public ProjectionHealth createExtension(ActorSystem<?> system) {
      return new ProjectionHealth();
    }
  }
}
