package io.rebound.core.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.item.ItemEntity.WakeOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class WakeBookTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration RECENT = Duration.ofSeconds(30);

  private static List<DueItems.Row> rows(String... ids) {
    return IntStream.range(0, ids.length).mapToObj(i -> new DueItems.Row(ids[i], 5, T0.plusMillis(i))).toList();
  }

  @Test
  void wakesNoMoreThanTheBatchAndMoreOnlyAsItemsAnswer() {
    WakeBook book = new WakeBook(2, RECENT);
    assertTrue(book.wantsRows(T0));
    int scan = book.reading();
    assertFalse(book.wantsRows(T0), "one read at a time");
    book.rows(scan, rows("a", "b", "c"), 3);
    assertEquals(List.of("a", "b"), book.next(T0));
    assertEquals(List.of(), book.next(T0), "both places are taken");
    book.answered("a", WakeOutcome.STARTED, T0, Duration.ofSeconds(1));
    assertEquals(List.of("c"), book.next(T0));
  }

  @Test
  void aScanReadsOnFromWhereTheLastReadEndedAndStopsAtTheEndUntilTheNextPoll() {
    WakeBook book = new WakeBook(10, RECENT);
    book.rows(book.reading(), rows("a", "b"), 2);
    assertEquals(new DueItems.Cursor(5, T0.plusMillis(1), "b"), book.cursor());
    book.next(T0);
    assertTrue(book.wantsRows(T0), "a full read may have more behind it");
    book.rows(book.reading(), List.of(), 2);
    assertFalse(book.wantsRows(T0), "the scan reached the end");
    book.restart(T0.plusSeconds(1));
    assertEquals(DueItems.Cursor.START, book.cursor());
    assertTrue(book.wantsRows(T0.plusSeconds(1)));
  }

  @Test
  void rowsTheIndexStillShowsDueAfterTheirItemAnsweredAreSkippedUntilTheyAreOld() {
    WakeBook book = new WakeBook(10, RECENT);
    book.rows(book.reading(), rows("a"), 1);
    assertEquals(List.of("a"), book.next(T0));
    book.answered("a", WakeOutcome.STARTED, T0, Duration.ofSeconds(1));
    book.restart(T0.plusSeconds(1));
    book.rows(book.reading(), rows("a", "b"), 2);
    assertEquals(List.of("b"), book.next(T0.plusSeconds(1)), "the index lags: a already started");
    book.restart(T0.plus(RECENT).plusSeconds(1));
    book.rows(book.reading(), rows("a"), 1);
    assertEquals(List.of("a"), book.next(T0.plus(RECENT).plusSeconds(1)), "still due long after: woken again");
  }

  @Test
  void aDeferredItemMayBeWokenAgainButTheQueueRestsForAMomentFirst() {
    WakeBook book = new WakeBook(10, RECENT);
    book.rows(book.reading(), rows("a", "b"), 2);
    assertEquals(List.of("a", "b"), book.next(T0));
    book.answered("a", WakeOutcome.DEFERRED, T0, Duration.ofSeconds(1));
    book.restart(T0);
    book.rows(book.reading(), rows("a"), 1);
    assertEquals(List.of(), book.next(T0.plusMillis(500)), "the queue's waiting line was full a moment ago");
    assertFalse(book.wantsRows(T0.plusMillis(500)));
    assertEquals(List.of("a"), book.next(T0.plusSeconds(1)));
  }

  @Test
  void rowsOfAScanRestartedWhileTheyWereReadAreDroppedSoTheNewScanStartsFromTheBest() {
    WakeBook book = new WakeBook(10, RECENT);
    int old = book.reading();
    book.restart(T0);
    book.rows(old, rows("low"), 1);
    assertEquals(List.of(), book.next(T0));
    assertEquals(DueItems.Cursor.START, book.cursor());
    assertTrue(book.wantsRows(T0));
  }

  @Test
  void unansweredWakesAreSentAgainAfterAWhileWithoutTakingMorePlaces() {
    WakeBook book = new WakeBook(1, RECENT);
    book.rows(book.reading(), rows("a", "b"), 2);
    assertEquals(List.of("a"), book.next(T0));
    assertEquals(List.of(), book.unanswered(T0.plusSeconds(10), Duration.ofSeconds(30)));
    assertEquals(List.of("a"), book.unanswered(T0.plusSeconds(30), Duration.ofSeconds(30)));
    assertEquals(List.of(), book.next(T0.plusSeconds(30)), "a is still outstanding");
    assertEquals(1, book.outstanding());
  }
}
