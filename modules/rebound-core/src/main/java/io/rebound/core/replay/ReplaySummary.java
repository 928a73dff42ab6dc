package io.rebound.core.replay;

import io.rebound.api.ErrorKind;
import io.rebound.core.replay.ReplaySimulator.Replayed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Adds up replayed items in bounded memory: counts, attempts, time-to-success percentiles (an
 * HdrHistogram of milliseconds, to 3 significant digits) and one page of the items whose outcome changed. Not thread-safe:
 * one stream folds into it.
 */
public final class ReplaySummary {
  /** Items that never failed are counted under this error kind. */
  public static final String NO_ERROR = "NONE";

  /** Counts of one group of items (all of them, or those of one error kind). */
  public static final class Counts {
    long items;
    final Map<RecordedItem.Outcome, Long> recorded = new EnumMap<>(RecordedItem.Outcome.class);
    final Map<ReplaySimulator.Outcome, Long> replayed = new EnumMap<>(ReplaySimulator.Outcome.class);

    Counts() {
      for (RecordedItem.Outcome o : RecordedItem.Outcome.values()) {
        recorded.put(o, 0L);
      }
      for (ReplaySimulator.Outcome o : ReplaySimulator.Outcome.values()) {
        replayed.put(o, 0L);
      }
    }

    void add(RecordedItem item, Replayed r) {
      items++;
      recorded.merge(item.outcome(), 1L, Long::sum);
      replayed.merge(r.outcome(), 1L, Long::sum);
    }

    public long items() {
      return items;
    }

    public Map<RecordedItem.Outcome, Long> recorded() {
      return recorded;
    }

    public Map<ReplaySimulator.Outcome, Long> replayed() {
      return replayed;
    }
  }

  /** An item whose outcome the replay changes. */
  public record Change(String id, RecordedItem.Outcome recorded, ReplaySimulator.Outcome replayed, int recordedAttempts,
      int replayedAttempts, String cursor) {}

  private final Counts all = new Counts();
  private final Map<String, Counts> byErrorKind = new TreeMap<>();
  private long recordedAttempts;
  private long replayedAttempts;
  private final Histogram recordedTime = new Histogram(3);
  private final Histogram replayedTime = new Histogram(3);
  private long changed;
  private final List<Change> changes = new ArrayList<>();
  private final int changeLimit;
  private final String changesAfter;
  private String nextChanges;

  /**
   * @param changeLimit the most changed items to list
   * @param changesAfter list changed items only after this scan position (the cursor of the
   *     last one listed before), or null from the first
   */
  public ReplaySummary(int changeLimit, String changesAfter) {
    this.changeLimit = changeLimit;
    this.changesAfter = changesAfter;
  }

  /**
   * @param cursor the item's position in the scan, strictly increasing over one replay
   */
  public void add(RecordedItem item, Replayed r, String cursor) {
    all.add(item, r);
    ErrorKind kind = item.lastErrorKind();
    byErrorKind.computeIfAbsent(kind == null ? NO_ERROR : kind.name(), k -> new Counts()).add(item, r);
    recordedAttempts += item.attempts().size();
    replayedAttempts += r.attempts();
    record(recordedTime, item.timeToSuccess());
    record(replayedTime, r.timeToSuccess(item));
    if (changes(item.outcome(), r.outcome())) {
      changed++;
      if (changesAfter == null || cursor.compareTo(changesAfter) > 0) {
        if (changes.size() < changeLimit) {
          changes.add(new Change(item.id(), item.outcome(), r.outcome(), item.attempts().size(), r.attempts(), cursor));
        } else if (nextChanges == null) {
          nextChanges = changes.get(changes.size() - 1).cursor();
        }
      }
    }
  }

  /** Whether the replay ends the item otherwise; an open item is as unknown as a replayed one beyond its record. */
  static boolean changes(RecordedItem.Outcome recorded, ReplaySimulator.Outcome replayed) {
    return switch (recorded) {
      case SUCCEEDED -> replayed != ReplaySimulator.Outcome.SUCCEEDED;
      case DEAD_LETTERED -> replayed != ReplaySimulator.Outcome.DEAD_LETTERED;
      case CANCELLED -> replayed != ReplaySimulator.Outcome.CANCELLED;
      case OPEN -> replayed != ReplaySimulator.Outcome.UNKNOWN;
    };
  }

  private static void record(Histogram h, Duration d) {
    if (d != null) {
      h.recordValue(Math.max(0, d.toMillis()));
    }
  }

  public Counts all() {
    return all;
  }

  public Map<String, Counts> byErrorKind() {
    return byErrorKind;
  }

  public long recordedAttempts() {
    return recordedAttempts;
  }

  public long replayedAttempts() {
    return replayedAttempts;
  }

  /** The time to success at a percentile (0-100) over the recorded successes, or null with none. */
  public Duration recordedTimeToSuccess(double percentile) {
    return percentile(recordedTime, percentile);
  }

  public Duration replayedTimeToSuccess(double percentile) {
    return percentile(replayedTime, percentile);
  }

  private static Duration percentile(Histogram h, double p) {
    return h.getTotalCount() == 0 ? null : Duration.ofMillis(h.lowestEquivalentValue(h.getValueAtPercentile(p)));
  }

  /** How many items the replay ends otherwise. */
  public long changed() {
    return changed;
  }

  /** One page of them, in scan order. */
  public List<Change> changes() {
    return List.copyOf(changes);
  }

  /** The cursor of the next page of changed items, or null when this page is the last. */
  public String nextChanges() {
    return nextChanges;
  }
}
