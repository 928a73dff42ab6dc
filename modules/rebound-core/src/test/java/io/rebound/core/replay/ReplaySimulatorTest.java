package io.rebound.core.replay;

import static io.rebound.core.replay.Recordings.RECORDED;
import static io.rebound.core.replay.Recordings.T0;
import static io.rebound.core.replay.Recordings.exhausted;
import static io.rebound.core.replay.Recordings.failThenSucceed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.replay.ReplaySimulator.Outcome;
import io.rebound.core.replay.ReplaySimulator.Replayed;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReplaySimulatorTest {
  private static final RecordedItem FAIL_1 = failThenSucceed("f1", 1, ErrorKind.TRANSIENT);
  private static final RecordedItem FAIL_2 = failThenSucceed("f2", 2, ErrorKind.TRANSIENT);
  private static final RecordedItem FAIL_3 = failThenSucceed("f3", 3, ErrorKind.TRANSIENT);
  private static final RecordedItem PERMANENT = failThenSucceed("p", 1, ErrorKind.PERMANENT);
  private static final RecordedItem EXHAUSTED = exhausted("x");

  private static RetryPolicy recordedWith(int maxAttempts) {
    return RECORDED.toBuilder().maxAttempts(maxAttempts).build();
  }

  private static void assertReplayed(Outcome outcome, int attempts, Replayed r) {
    assertEquals(outcome, r.outcome(), r.toString());
    assertEquals(attempts, r.attempts(), r.toString());
  }

  @Test
  void the_journal_reads_back_as_the_attempts_that_were_made() {
    assertEquals(RecordedItem.Outcome.SUCCEEDED, FAIL_3.outcome());
    assertEquals(4, FAIL_3.attempts().size());
    // Due 0 s, 11 s (1 + 10), 32 s (11 + 1 + 20), 73 s (32 + 1 + 40); the success ends a second later.
    assertEquals(T0.plusSeconds(73), FAIL_3.success().due());
    assertEquals(Duration.ofSeconds(74), FAIL_3.timeToSuccess());
    assertEquals(RecordedItem.Outcome.DEAD_LETTERED, EXHAUSTED.outcome());
    assertEquals(5, EXHAUSTED.attempts().size());
    assertEquals(RecordedItem.Outcome.DEAD_LETTERED, PERMANENT.outcome());
    assertEquals(1, PERMANENT.attempts().size());
  }

  @Test
  void the_recorded_policy_replays_to_the_recorded_outcomes() {
    assertReplayed(Outcome.SUCCEEDED, 2, ReplaySimulator.replay(FAIL_1, RECORDED));
    assertReplayed(Outcome.SUCCEEDED, 3, ReplaySimulator.replay(FAIL_2, RECORDED));
    Replayed r = ReplaySimulator.replay(FAIL_3, RECORDED);
    assertReplayed(Outcome.SUCCEEDED, 4, r);
    assertEquals(FAIL_3.timeToSuccess(), r.timeToSuccess(FAIL_3));
    assertReplayed(Outcome.DEAD_LETTERED, 1, ReplaySimulator.replay(PERMANENT, RECORDED));
    assertReplayed(Outcome.DEAD_LETTERED, 5, ReplaySimulator.replay(EXHAUSTED, RECORDED));
  }

  @Test
  void under_two_attempts_items_needing_three_or_four_dead_letter() {
    RetryPolicy two = recordedWith(2);
    assertReplayed(Outcome.SUCCEEDED, 2, ReplaySimulator.replay(FAIL_1, two));
    assertReplayed(Outcome.DEAD_LETTERED, 2, ReplaySimulator.replay(FAIL_2, two));
    assertReplayed(Outcome.DEAD_LETTERED, 2, ReplaySimulator.replay(FAIL_3, two));
    assertReplayed(Outcome.DEAD_LETTERED, 1, ReplaySimulator.replay(PERMANENT, two));
    assertReplayed(Outcome.DEAD_LETTERED, 2, ReplaySimulator.replay(EXHAUSTED, two));
  }

  @Test
  void exhausted_items_become_unknown_not_succeeded_under_a_longer_policy() {
    RetryPolicy eight = recordedWith(8);
    assertReplayed(Outcome.UNKNOWN, 5, ReplaySimulator.replay(EXHAUSTED, eight));
    assertReplayed(Outcome.SUCCEEDED, 4, ReplaySimulator.replay(FAIL_3, eight));
    // Permanent stays permanent, however many attempts a policy allows.
    assertReplayed(Outcome.DEAD_LETTERED, 1, ReplaySimulator.replay(PERMANENT, eight));
  }

  @Test
  void longer_delays_reach_the_recorded_success_in_fewer_attempts() {
    // Due 0 s (fails), 61 s (fails: before the success was due at 73 s), 182 s (succeeds), ending at 183 s.
    RetryPolicy slow = RECORDED.toBuilder().initial(Duration.ofSeconds(60)).build();
    Replayed r = ReplaySimulator.replay(FAIL_3, slow);
    assertReplayed(Outcome.SUCCEEDED, 3, r);
    assertEquals(Duration.ofSeconds(183), r.timeToSuccess(FAIL_3));
  }

  @Test
  void jitter_is_taken_at_its_mean() {
    // FULL jitter over 20 s averages the recorded 10 s: the same attempts at the same times.
    RetryPolicy full = RECORDED.toBuilder().initial(Duration.ofSeconds(20)).jitter(RetryPolicy.Jitter.FULL).build();
    Replayed r = ReplaySimulator.replay(FAIL_3, full);
    assertReplayed(Outcome.SUCCEEDED, 4, r);
    assertEquals(Duration.ofSeconds(74), r.timeToSuccess(FAIL_3));
  }

  @Test
  void a_parked_attempt_is_not_counted_and_waits_as_recorded() {
    Recordings rec = new Recordings("parked");
    rec.park(Duration.ofMinutes(10), false);
    rec.succeed();
    RecordedItem item = rec.item();
    assertEquals(1, item.parkings().size());
    Replayed r = ReplaySimulator.replay(item, recordedWith(1));
    assertReplayed(Outcome.SUCCEEDED, 1, r);
    // 1 s to find the tool down, 10 min parked, 1 s to succeed.
    assertEquals(Duration.ofSeconds(602), r.timeToSuccess(item));
  }

  @Test
  void a_parking_that_ended_in_the_dead_letters_ends_there_under_any_policy() {
    Recordings rec = new Recordings("max-park");
    rec.fail(ErrorKind.TRANSIENT, Duration.ofSeconds(1));
    rec.park(Duration.ofHours(24), true);
    RecordedItem item = rec.item();
    assertReplayed(Outcome.DEAD_LETTERED, 1, ReplaySimulator.replay(item, recordedWith(10)));
  }

  @Test
  void timeouts_keep_their_recorded_length_and_follow_their_override() {
    Recordings rec = new Recordings("timeout");
    rec.fail(ErrorKind.TIMEOUT, Duration.ofSeconds(30));
    rec.succeed();
    RecordedItem item = rec.item();
    assertReplayed(Outcome.SUCCEEDED, 2, ReplaySimulator.replay(item, RECORDED));
    RetryPolicy noRetryOnTimeout = RECORDED.toBuilder().override(ErrorKind.TIMEOUT, RetryPolicy.builder().maxAttempts(1).build()).build();
    Replayed r = ReplaySimulator.replay(item, noRetryOnTimeout);
    assertReplayed(Outcome.DEAD_LETTERED, 1, r);
    assertEquals(T0.plusSeconds(30), r.endedAt());
  }

  @Test
  void a_cancellation_stands_unless_the_policy_gave_up_before_it() {
    Recordings rec = new Recordings("cancelled");
    rec.fail(ErrorKind.TRANSIENT, Duration.ofSeconds(1));
    rec.cancelAfter(Duration.ofSeconds(5));
    RecordedItem item = rec.item();
    assertEquals(RecordedItem.Outcome.CANCELLED, item.outcome());
    assertReplayed(Outcome.CANCELLED, 1, ReplaySimulator.replay(item, RECORDED));
    assertReplayed(Outcome.DEAD_LETTERED, 1, ReplaySimulator.replay(item, recordedWith(1)));
    // A retry due within the 5 s before the cancellation, after the last known failure: unknown.
    assertReplayed(Outcome.UNKNOWN, 1, ReplaySimulator.replay(item, RECORDED.toBuilder().initial(Duration.ofSeconds(2)).build()));
  }

  @Test
  void an_item_never_tried_is_unknown_and_a_journal_without_its_enqueue_is_nothing() {
    RecordedItem pending = new Recordings("pending").item();
    assertNull(pending.firstDue());
    assertReplayed(Outcome.UNKNOWN, 0, ReplaySimulator.replay(pending, RECORDED));
    assertNull(RecordedItem.of("headless", new Recordings("h").events().subList(1, 1)));
  }

  @Test
  void the_summary_counts_outcomes_attempts_kinds_and_pages_the_changed_items() {
    RetryPolicy two = recordedWith(2);
    RecordedItem[] items = {FAIL_1, FAIL_2, FAIL_3, PERMANENT, EXHAUSTED};
    ReplaySummary page1 = new ReplaySummary(1, null);
    for (int i = 0; i < items.length; i++) {
      page1.add(items[i], ReplaySimulator.replay(items[i], two), "c" + i);
    }
    assertEquals(5, page1.all().items());
    assertEquals(3L, page1.all().recorded().get(RecordedItem.Outcome.SUCCEEDED));
    assertEquals(2L, page1.all().recorded().get(RecordedItem.Outcome.DEAD_LETTERED));
    assertEquals(1L, page1.all().replayed().get(Outcome.SUCCEEDED));
    assertEquals(4L, page1.all().replayed().get(Outcome.DEAD_LETTERED));
    assertEquals(0L, page1.all().replayed().get(Outcome.UNKNOWN));
    assertEquals(2 + 3 + 4 + 1 + 5, page1.recordedAttempts());
    assertEquals(2 + 2 + 2 + 1 + 2, page1.replayedAttempts());
    assertEquals(2, page1.changed());
    assertEquals(1, page1.byErrorKind().get("PERMANENT").items());
    assertEquals(4, page1.byErrorKind().get("TRANSIENT").items());
    assertEquals("f2", page1.changes().get(0).id());
    assertEquals("c1", page1.nextChanges());
    ReplaySummary page2 = new ReplaySummary(1, page1.nextChanges());
    for (int i = 0; i < items.length; i++) {
      page2.add(items[i], ReplaySimulator.replay(items[i], two), "c" + i);
    }
    assertEquals("f3", page2.changes().get(0).id());
    assertNull(page2.nextChanges());
    assertEquals(Duration.ofSeconds(12), page2.replayedTimeToSuccess(50));
  }
}
