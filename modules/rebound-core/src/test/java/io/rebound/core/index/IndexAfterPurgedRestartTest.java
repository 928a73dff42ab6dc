package io.rebound.core.index;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.item.ItemStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node restarted on a journal whose oldest events were purged: the read journal's sequence
 * check takes the orderings below the projections' committed offsets as settled
 * (io.rebound.core.storage.TagRangeReadJournalDao#journalSequence), so the index sees a new item
 * after the usual poll, not after the 10 s it waited for the purged orderings before.
 */
class IndexAfterPurgedRestartTest {
  private static final String QUEUES = """
      rebound.queues.work {
        handler.type = simulated
        concurrency = 8
      }
      """;

  @TempDir Path dir;

  private static long succeededInIndex(Rebound node) {
    return await(node.index().stats("work", Instant.now())).counts().getOrDefault(ItemStatus.SUCCEEDED, 0L);
  }

  @Test
  void aNodeRestartedOnAPurgedJournalIndexesANewItemWithoutWaitingForThePurgedOrderings() throws Exception {
    Config config = TestNodes.config(dir, QUEUES);
    List<String> ids = new ArrayList<>();
    String url;
    try (Rebound node = Rebound.start(config)) {
      url = node.settings().effectiveDatabaseUrl();
      for (int i = 0; i < 20; i++) {
        ids.add(await(node.enqueue("work", EnqueueRequest.builder("{}").build())).item().id());
      }
      TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(60));
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> succeededInIndex(node) == ids.size());
    }
    // With the retention purge's own statements: the first items' events and tags gone, their orderings missing.
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      for (String id : ids.subList(0, 10)) {
        try (PreparedStatement tags = c.prepareStatement(RetentionPurge.DELETE_TAGS);
            PreparedStatement events = c.prepareStatement(RetentionPurge.DELETE_EVENTS)) {
          for (PreparedStatement ps : List.of(tags, events)) {
            ps.setString(1, "Item|" + id);
            ps.setLong(2, Long.MAX_VALUE);
          }
          tags.executeUpdate();
          assertTrue(events.executeUpdate() > 0, "the test purges " + id);
        }
      }
    }

    try (Rebound again = Rebound.start(config)) {
      long before = succeededInIndex(again);
      String fresh = await(again.enqueue("work", EnqueueRequest.builder("{}").build())).item().id();
      long enqueued = System.nanoTime();
      TestNodes.awaitTerminal(again, List.of(fresh), Duration.ofSeconds(30));
      // The index polls the journal every second; it waited 10 s here before (max-tries x query-delay).
      Awaitility.await().atMost(Duration.ofSeconds(7)).until(() -> succeededInIndex(again) == before + 1);
      assertTrue(System.nanoTime() - enqueued < Duration.ofSeconds(7).toNanos());
    }
  }
}
