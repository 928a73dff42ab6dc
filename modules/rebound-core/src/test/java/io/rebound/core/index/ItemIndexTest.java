package io.rebound.core.index;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.rebound.api.ErrorKind;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ItemIndexTest {
  private static final String QUEUES = """
      rebound.queues.work {
        handler.type = simulated
        concurrency = 16
        retry { max-attempts = 2, initial = 10ms, max-interval = 20ms, jitter = none }
      }
      rebound.queues.idle { handler.type = simulated }
      rebound.index.group-within = 50ms
      rebound.metrics.depth-interval = 100ms
      jdbc-read-journal.refresh-interval = 200ms
      """;

  @TempDir Path dir;

  private Config config() {
    return TestNodes.config(dir, QUEUES);
  }

  /** Payloads that end SUCCEEDED (i % 4 < 2), DEAD_LETTERED after a permanent failure (2) or after 2 transient ones (3). */
  private static String payload(int i) {
    return switch (i % 4) {
      case 0, 1 -> "{}";
      case 2 -> "{\"fail\":1,\"kind\":\"PERMANENT\"}";
      default -> "{\"fail\":5}";
    };
  }

  private static List<String> enqueue(Rebound node, int from, int n) {
    List<CompletableFuture<String>> ids = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      ids.add(node.enqueue("work", EnqueueRequest.builder(payload(i)).key("k" + i).build())
          .thenApply(r -> r.item().id()).toCompletableFuture());
    }
    return ids.stream().map(CompletableFuture::join).toList();
  }

  /** Every row of the queue, page by page. */
  private static List<ItemIndex.Row> all(Rebound node, String queue, ItemStatus status, int pageSize) {
    List<ItemIndex.Row> rows = new ArrayList<>();
    String after = null;
    do {
      ItemIndex.Page page = await(node.index().list(new ItemIndex.Query(queue, status, null, pageSize, after)));
      rows.addAll(page.items());
      after = page.next();
    } while (after != null);
    return rows;
  }

  /** Waits until the index shows exactly these items with the state the items themselves report. */
  private static void awaitIndexMatches(Rebound node, List<String> ids) throws InterruptedException {
    Map<String, ItemView> truth = TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(60));
    // "" when the index matches: the last mismatch found otherwise.
    String mismatch = Awaitility.await("the index matches the items").atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(100)).until(() -> {
      String found = "";
      List<ItemIndex.Row> rows = all(node, "work", null, 37);
      Set<String> seen = new HashSet<>();
      for (ItemIndex.Row r : rows) {
        if (!seen.add(r.id())) {
          throw new AssertionError("row listed twice: " + r);
        }
      }
      if (rows.size() != ids.size()) {
        found = rows.size() + " rows for " + ids.size() + " items";
      } else {
        for (ItemIndex.Row r : rows) {
          ItemView v = truth.get(r.id());
          if (v == null || v.status() != r.status() || v.attempts() != r.attempts() || v.priority() != r.priority()
              || !v.key().equals(r.key()) || (v.lastError() == null ? r.lastErrorKind() != null : v.lastError().kind() != r.lastErrorKind())) {
            found = "row " + r + " but item " + v;
            break;
          }
        }
      }
      return found;
    }, String::isEmpty);
    assertEquals("", mismatch);
  }

  @Test
  void indexCatchesUpAfterARestartWithNothingMissedOrDoubled() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Rebound node = Rebound.start(config())) {
      ids.addAll(enqueue(node, 0, 200));
      awaitIndexMatches(node, ids);
    }
    try (Rebound node = Rebound.start(config())) {
      // Stop while the items run and the projection is behind: both must finish after the next start.
      ids.addAll(enqueue(node, 200, 200));
    }
    try (Rebound node = Rebound.start(config())) {
      awaitIndexMatches(node, ids);
      // Enqueueing the same keys again creates nothing new.
      enqueue(node, 0, 400);
      awaitIndexMatches(node, ids);
    }
  }

  @Test
  void listsFilterByStatusAndErrorKindAndPageWithACursor() throws Exception {
    try (Rebound node = Rebound.start(config())) {
      List<String> ids = enqueue(node, 0, 40);
      awaitIndexMatches(node, ids);
      assertEquals(20, all(node, "work", ItemStatus.SUCCEEDED, 7).size());
      assertEquals(20, all(node, "work", ItemStatus.DEAD_LETTERED, 3).size());
      ItemIndex.Page permanent = await(node.index().list(new ItemIndex.Query("work", ItemStatus.DEAD_LETTERED, ErrorKind.PERMANENT, 100, null)));
      assertEquals(10, permanent.items().size());
      assertNull(permanent.next());
      permanent.items().forEach(r -> assertTrue(r.lastError().startsWith("simulated permanent failure"), r.toString()));
      ItemIndex.Page first = await(node.index().list(new ItemIndex.Query("work", null, null, 10, null)));
      ItemIndex.Page second = await(node.index().list(new ItemIndex.Query("work", null, null, 10, first.next())));
      assertEquals(10, second.items().size());
      assertTrue(first.items().get(9).createdAt().compareTo(second.items().get(0).createdAt()) <= 0);
      assertEquals(0, await(node.index().list(new ItemIndex.Query("idle", null, null, 10, null))).items().size());
      assertThrows(IllegalArgumentException.class, () -> new ItemIndex.Query("work", null, null, 10, "not-a-cursor"));
      assertThrows(IllegalArgumentException.class, () -> new ItemIndex.Query("work", null, null, 0, null));
    }
  }

  @Test
  void statsCountEachStatusAndTheRetries() throws Exception {
    try (Rebound node = Rebound.start(config())) {
      List<String> ids = enqueue(node, 0, 40);
      awaitIndexMatches(node, ids);
      ItemIndex.QueueStats stats = await(node.index().stats("work", Instant.now()));
      assertEquals(40, stats.total());
      assertEquals(20L, stats.counts().get(ItemStatus.SUCCEEDED));
      assertEquals(20L, stats.counts().get(ItemStatus.DEAD_LETTERED));
      assertEquals(0L, stats.counts().get(ItemStatus.PENDING));
      assertNull(stats.oldestPendingAge());
      assertEquals(2, stats.maxAttempts());
      // 30 items made one attempt, 10 made two.
      assertEquals(50.0 / 40, stats.averageAttempts(), 1e-9);
      Map<String, Map<ItemStatus, Long>> depth = await(node.index().depthByQueue());
      assertEquals(20L, depth.get("work").get(ItemStatus.SUCCEEDED));
    }
  }

  @Test
  void theNodesMetricsShowTheDepthTheIndexCounts() throws Exception {
    try (Rebound node = Rebound.start(config())) {
      awaitIndexMatches(node, enqueue(node, 0, 40));
      Map<ItemStatus, Long> depth = Awaitility.await("the depth shows 20 dead letters").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50)).until(() -> await(node.metrics().snapshot()).queue("work").depth(),
              d -> Long.valueOf(20).equals(d.get(ItemStatus.DEAD_LETTERED)));
      assertEquals(20L, depth.get(ItemStatus.SUCCEEDED), depth.toString());
      assertEquals(20L, depth.get(ItemStatus.DEAD_LETTERED), depth.toString());
    }
  }

  @Test
  void bulkRedriveSendsBackOnlyTheMatchingDeadLetters() throws Exception {
    try (Rebound node = Rebound.start(config())) {
      List<String> ids = enqueue(node, 0, 40);
      awaitIndexMatches(node, ids);
      Rebound.BulkRedrive r = await(node.redriveDeadLetters("work", new ItemIndex.DeadLetterFilter(ErrorKind.TRANSIENT, null, null, 6)));
      assertEquals(6, r.matched());
      assertEquals(6, await(r.done()));
      // The redriven transient items fail twice again; the permanent ones were never touched.
      awaitIndexMatches(node, ids);
      long redriven = ids.stream().map(id -> await(node.history(id)))
          .filter(h -> h.stream().anyMatch(e -> e.type().equals("redriven"))).count();
      assertEquals(6, redriven);
      Rebound.BulkRedrive none = await(node.redriveDeadLetters("work",
          new ItemIndex.DeadLetterFilter(null, Instant.now().plusSeconds(3600), null, 100)));
      assertEquals(0, none.matched());
    }
  }
}
