package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.api.JobHandler;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriorityAndShutdownTest {
  @TempDir Path dir;

  @Test
  void prioritiesAreHonouredWhenConcurrencyIsOne() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    JobHandler record = ctx -> {
      order.add(ctx.itemId());
      return CompletableFuture.completedFuture(null);
    };
    String queues = "rebound.queues.single { concurrency = 1 }";
    try (Rebound node = Rebound.start(TestNodes.config(dir, queues), Map.of("single", record))) {
      node.pause("single");
      Random random = new Random(7);
      List<ItemView> items = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        items.add(await(node.enqueue("single", EnqueueRequest.builder("{}").priority(random.nextInt(10)).build())).item());
      }
      // All requests are at the dispatcher before it may grant one.
      Awaitility.await("every request at the dispatcher").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(20)).until(() -> await(node.dispatcherStats()).waiting() >= items.size());
      node.resume("single");
      TestNodes.awaitTerminal(node, items.stream().map(ItemView::id).toList(), Duration.ofSeconds(30));

      List<String> expected = items.stream()
          .sorted(Comparator.comparingInt(ItemView::priority).reversed().thenComparing(ItemView::createdAt))
          .map(ItemView::id)
          .toList();
      assertEquals(expected, order);
    }
  }

  @Test
  void gracefulShutdownLetsRunningAttemptsFinishAndStartsNoNewOnes() throws Exception {
    String queues = """
        rebound.shutdown-timeout = 10s
        rebound.queues.slow { handler.type = simulated, concurrency = 3 }
        """;
    List<String> ids = new ArrayList<>();
    Set<String> running = ConcurrentHashMap.newKeySet();
    Rebound node = Rebound.start(TestNodes.config(dir, queues));
    node.onTransition(t -> {
      if (t.status() == ItemStatus.RUNNING) {
        running.add(t.id());
      }
    });
    for (int i = 0; i < 9; i++) {
      ids.add(await(node.enqueue("slow", EnqueueRequest.builder("{\"ms\":700}").build())).item().id());
    }
    Awaitility.await("3 running").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
        .until(() -> running.size() >= 3);
    node.close();

    int started = TestNodes.eventsInJournal(node, "AttemptStarted");
    assertTrue(started >= 3 && started < 9, "attempts started: " + started);
    assertEquals(started, TestNodes.eventsInJournal(node, "Succeeded"), "every attempt running at shutdown finished");

    try (Rebound again = Rebound.start(TestNodes.config(dir, queues))) {
      Map<String, ItemView> done = TestNodes.awaitTerminal(again, ids, Duration.ofSeconds(30));
      assertEquals(9, TestNodes.count(done, ItemStatus.SUCCEEDED));
      done.values().forEach(v -> assertEquals(1, v.attempts(), v.toString()));
    }
  }

  @Test
  void attemptsStillRunningAtTheShutdownDeadlineAreOrphanedAndRetriedOnTheNextStart() throws Exception {
    String queues = """
        rebound.shutdown-timeout = 1s
        rebound.queues.slow { handler.type = simulated, concurrency = 2, retry { initial = 10ms, jitter = none } }
        """;
    Rebound node = Rebound.start(TestNodes.config(dir, queues));
    Set<String> running = ConcurrentHashMap.newKeySet();
    node.onTransition(t -> {
      if (t.status() == ItemStatus.RUNNING) {
        running.add(t.id());
      }
    });
    String id = await(node.enqueue("slow", EnqueueRequest.builder("{\"ms\":4000}").key("long").build())).item().id();
    Awaitility.await("one running").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
        .until(() -> !running.isEmpty());
    long start = System.nanoTime();
    node.close();
    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(4)) < 0, "the deadline was not kept");

    try (Rebound again = Rebound.start(TestNodes.config(dir, queues))) {
      ItemView v = TestNodes.awaitTerminal(again, List.of(id), Duration.ofSeconds(30)).get(id);
      assertEquals(ItemStatus.SUCCEEDED, v.status());
      assertEquals(2, v.attempts());
      List<HistoryEntry> h = await(again.history(id));
      assertTrue(h.stream().anyMatch(e -> e.details().get("kind") == ErrorKind.ORPHANED), h.toString());
    }
  }

}
