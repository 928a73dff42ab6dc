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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that crashes with a backlog (items delayed, waiting on a backoff, parked on a down tool,
 * and running) and starts again: only items with work now come back into memory, through the
 * waker, and every one of them still ends; the delayed ones run in priority order.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BacklogRestartTest {
  private static final int DELAYED = 1_500;
  private static final int FLAKY = 200;
  private static final int PARKED = 200;
  private static final int RUNNING = 4;
  private static final Duration DELAY = Duration.ofSeconds(20);

  /** @param toolDownFor how long the simulated tool is down from the node's start */
  private static String queues(String toolDownFor) {
    return """
        pekko.coordinated-shutdown.run-by-actor-system-terminate = off
        rebound.wake.horizon = 1s
        rebound.tools.db.probe { type = simulated, interval = 100ms, down-for = %s }
        rebound.queues {
          delayed { handler.type = simulated, concurrency = 1 }
          flaky { handler.type = simulated, retry { initial = 15s, jitter = none } }
          tooled { handler.type = simulated, tools = [db] }
          slow { handler.type = simulated, concurrency = 4 }
        }
        """.formatted(toolDownFor);
  }

  @TempDir Path dir;

  @Test
  void aCrashedNodeWithABacklogStartsAtOnceAndEveryItemEndsInOrder() throws Exception {
    Map<String, ItemStatus> status = new ConcurrentHashMap<>();
    Map<String, List<String>> ids = new HashMap<>();
    Rebound first = Rebound.start(TestNodes.config(dir, queues("1h")));
    Map<String, Boolean> failedOnce = new ConcurrentHashMap<>();
    first.onTransition(t -> {
      status.put(t.id(), t.status());
      if (t.status() == ItemStatus.WAITING) {
        failedOnce.put(t.id(), true);
      }
    });
    long enqueued = System.nanoTime();
    ids.put("delayed", enqueue(first, "delayed", DELAYED, "{}", DELAY));
    ids.put("flaky", enqueue(first, "flaky", FLAKY, "{\"fail\":1}", Duration.ZERO));
    ids.put("tooled", enqueue(first, "tooled", PARKED, "{}", Duration.ZERO));
    ids.put("slow", enqueue(first, "slow", RUNNING, "{\"ms\":60000}", Duration.ZERO));
    waitUntil(() -> failedOnce.keySet().containsAll(ids.get("flaky")) && all(status, ids.get("tooled"), ItemStatus.PARKED)
        && all(status, ids.get("slow"), ItemStatus.RUNNING), () -> "the backlog did not form: " + counts(status)
        + ", flaky: " + ids.get("flaky").stream().map(status::get).collect(java.util.stream.Collectors.groupingBy(x -> x, java.util.stream.Collectors.counting()))
        + ", dispatcher: " + await(first.dispatcherStats()));
    waitUntil(() -> indexRows(first) == DELAYED + FLAKY + PARKED + RUNNING, () -> "the index did not catch up");

    // No graceful shutdown: the running attempts are lost with the node.
    first.system().terminate();
    first.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    long left = DELAY.toNanos() - (System.nanoTime() - enqueued);
    assertTrue(left > 0, "the delayed items came due before the crash: the test needs a longer DELAY");
    TimeUnit.NANOSECONDS.sleep(left + TimeUnit.SECONDS.toNanos(1));

    long start = System.nanoTime();
    try (Rebound second = Rebound.start(TestNodes.config(dir, queues("0s")))) {
      long ready = System.nanoTime() - start;
      assertTrue(ready < TimeUnit.SECONDS.toNanos(20), "start took " + ready / 1_000_000 + " ms");
      String fresh = await(second.enqueue("slow", EnqueueRequest.builder("{}").priority(9).build())).item().id();

      // Asking an item for its status brings it into memory, and a due one then asks for a permit
      // at once: the delayed items' start order is read from the journal before any is asked.
      waitUntil(() -> {
        try {
          return startOrder(second, "delayed").size() == DELAYED;
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }, () -> "the delayed items did not all start", Duration.ofSeconds(120));
      List<String> all = new ArrayList<>();
      ids.values().forEach(all::addAll);
      all.add(fresh);
      Map<String, ItemView> done = TestNodes.awaitTerminal(second, all, Duration.ofSeconds(120));
      for (ItemView v : done.values()) {
        assertEquals(ItemStatus.SUCCEEDED, v.status(), v.toString());
      }
      for (String id : ids.get("flaky")) {
        assertEquals(2, done.get(id).attempts(), "the failed attempt and the one after its backoff");
      }
      for (String id : ids.get("tooled")) {
        assertEquals(1, done.get(id).attempts(), "parking burns no attempt");
      }
      for (String id : ids.get("slow")) {
        List<HistoryEntry> history = await(second.history(id));
        assertTrue(history.stream().anyMatch(e -> e.type().equals("attempt-failed") && e.details().get("kind") == ErrorKind.ORPHANED),
            id + " lost its attempt in the crash but has no ORPHANED attempt: " + history);
      }
      // The delayed items were all due when the node started: one at a time, best first. The
      // waker wakes the best first; of those, the first few to recover may take the free permit
      // before a better one asks, so the first starts are only among the best.
      List<Integer> priorities = startOrder(second, "delayed");
      assertEquals(DELAYED, priorities.size());
      int settle = 10;
      for (int i = 0; i < settle; i++) {
        assertTrue(priorities.get(i) >= 8, "start " + i + " had priority " + priorities.get(i) + ": " + priorities.subList(0, settle));
      }
      for (int i = settle + 1; i < priorities.size(); i++) {
        assertTrue(priorities.get(i) <= priorities.get(i - 1),
            "a priority " + priorities.get(i) + " item started after a priority " + priorities.get(i - 1) + " one, at " + i);
      }
    }
  }

  private static List<String> enqueue(Rebound node, String queue, int n, String payload, Duration delay) {
    List<java.util.concurrent.CompletableFuture<EnqueueResult>> replies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      replies.add(node.enqueue(queue, EnqueueRequest.builder(payload).delay(delay)
          .priority(ThreadLocalRandom.current().nextInt(10)).build()).toCompletableFuture());
    }
    return replies.stream().map(r -> r.join().item().id()).toList();
  }

  private static boolean all(Map<String, ItemStatus> status, List<String> ids, ItemStatus s) {
    return ids.stream().allMatch(id -> status.get(id) == s);
  }

  private static Map<ItemStatus, Long> counts(Map<String, ItemStatus> status) {
    Map<ItemStatus, Long> out = new HashMap<>();
    status.values().forEach(s -> out.merge(s, 1L, Long::sum));
    return out;
  }

  private static void waitUntil(BooleanSupplier condition, java.util.function.Supplier<String> failure) {
    waitUntil(condition, failure, Duration.ofSeconds(60));
  }

  private static void waitUntil(BooleanSupplier condition, java.util.function.Supplier<String> failure, Duration atMost) {
    try {
      Awaitility.await().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
          .until(condition::getAsBoolean);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(failure.get());
    }
  }

  private static int indexRows(Rebound node) {
    try (Connection c = connect(node); ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM rebound_item")) {
      rs.next();
      return rs.getInt(1);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The priorities of a queue's items in the order their first attempts were written to the journal. */
  private static List<Integer> startOrder(Rebound node, String queue) throws Exception {
    try (Connection c = connect(node); PreparedStatement st = c.prepareStatement(
        "SELECT i.priority FROM \"event_journal\" j JOIN rebound_item i ON j.\"persistence_id\" = CONCAT('Item|', i.id)"
            + " WHERE i.queue = ? AND j.\"event_ser_manifest\" LIKE '%$AttemptStarted' ORDER BY j.\"ordering\"")) {
      st.setString(1, queue);
      List<Integer> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getInt(1));
        }
      }
      return out;
    }
  }

  private static Connection connect(Rebound node) throws Exception {
    return DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "");
  }
}
