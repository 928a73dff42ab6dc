package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.EnqueueResult;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrashRecoveryTest {
  private static final int ITEMS = 300;
  // No graceful shutdown at all: terminate() must not run CoordinatedShutdown's drain.
  private static final String QUEUES = """
      pekko.coordinated-shutdown.run-by-actor-system-terminate = off
      rebound.queues.work {
        handler.type = simulated
        concurrency = 8
        retry { max-attempts = 3, initial = 10ms, jitter = none }
      }
      """;

  @TempDir Path dir;

  @Test
  void itemsInterruptedByACrashResumeOnTheNextNodeAndTheLostAttemptsShowAsOrphaned() throws Exception {
    List<String> ids = new ArrayList<>();
    Rebound first = Rebound.start(TestNodes.config(dir, QUEUES));
    AtomicInteger finished = new AtomicInteger();
    first.onTransition(t -> {
      if (t.status().isTerminal()) {
        finished.incrementAndGet();
      }
    });
    // All in flight at once, so that a slow machine still crashes the node with work left.
    List<java.util.concurrent.CompletionStage<EnqueueResult>> enqueued = new ArrayList<>();
    for (int i = 0; i < ITEMS; i++) {
      enqueued.add(first.enqueue("work", EnqueueRequest.builder("{\"ms\":150}").key("item-" + i).build()));
    }
    enqueued.forEach(e -> ids.add(await(e).item().id()));
    // Crash part-way: some items done, 8 mid-attempt, the rest pending.
    Awaitility.await("40 finished").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
        .until(() -> finished.get() >= 40);
    first.system().terminate();
    first.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(finished.get() < ITEMS, "the crash came after the work was done");

    try (Rebound second = Rebound.start(TestNodes.config(dir, QUEUES))) {
      // Nothing asks the items anything until they are done: they must restart by themselves.
      Awaitility.await("items resume by themselves").atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200)).until(() -> TestNodes.eventsInJournal(second, "Succeeded") >= ITEMS);
      Map<String, ItemView> done = TestNodes.awaitTerminal(second, ids, Duration.ofSeconds(90));
      assertEquals(ITEMS, TestNodes.count(done, ItemStatus.SUCCEEDED));

      int orphaned = 0;
      for (String id : ids) {
        List<HistoryEntry> history = await(second.history(id));
        assertEveryAttemptHasOneOutcome(id, history);
        for (HistoryEntry e : history) {
          if (e.type().equals("attempt-failed") && e.details().get("kind") == ErrorKind.ORPHANED) {
            orphaned++;
            // The orphaned attempt counted: the item needed a second one.
            assertEquals(2, done.get(id).attempts(), id + ": " + history);
          }
        }
      }
      assertTrue(orphaned >= 1, "no attempt was in flight at the crash");
      assertEquals(ITEMS, distinctItemsInJournal(second), "items lost or duplicated in the journal");
    }
  }

  /** Each attempt-started is closed by exactly one outcome before the next attempt starts. */
  private static void assertEveryAttemptHasOneOutcome(String id, List<HistoryEntry> history) {
    boolean open = false;
    for (HistoryEntry e : history) {
      switch (e.type()) {
        case "attempt-started" -> {
          assertTrue(!open, id + ": an attempt started while another was open: " + history);
          open = true;
        }
        case "succeeded", "attempt-failed", "parked" -> {
          assertTrue(open, id + ": an outcome without an attempt: " + history);
          open = false;
        }
        default -> {}
      }
    }
    assertTrue(!open, id + ": an attempt without an outcome: " + history);
  }


  private static int distinctItemsInJournal(Rebound node) throws Exception {
    try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "");
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT COUNT(DISTINCT \"persistence_id\") FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'Item|%'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
