package io.rebound.core.wake;

/**
 * Whether an orphan sweep gives rows without {@code wake_after} their due time. Only the
 * projection of a release before {@code wake_after} writes such rows, so the backfill (a read of
 * every RUNNING and terminal row of a queue, millions with a week of retention) runs only while a
 * member may be of such a release (one without the role {@code rebound-tag-in-row}, which every
 * release since carries unless its tag setting is off), and once more at the first sweep after:
 * for the rows written before this waker started or before the last such member left.
 */
final class WakeAfterBackfill {
  private boolean once = true;

  /**
   * @param olderMemberMayWrite some member of the cluster lacks the role
   * @return whether this sweep backfills
   */
  boolean sweep(boolean olderMemberMayWrite) {
    boolean now = olderMemberMayWrite || once;
    once = olderMemberMayWrite;
    return now;
  }

  /** The sweep that was to backfill failed: the next one backfills, whoever the members are. */
  void failed() {
    once = true;
  }
}
