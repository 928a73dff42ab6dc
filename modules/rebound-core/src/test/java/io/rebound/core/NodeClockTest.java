package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.JobHandler;
import io.rebound.core.handler.Handlers;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node takes its times from the clock it is started with, so end-to-end tests can control them. */
class NodeClockTest {
  @TempDir Path dir;

  @Test
  void anItemsTimesComeFromTheClockTheNodeWasStartedWith() throws InterruptedException {
    Clock dayAgo = Clock.offset(Clock.systemUTC(), Duration.ofDays(-1));
    JobHandler succeeds = ctx -> CompletableFuture.completedFuture(null);
    try (Rebound node = Rebound.start(TestNodes.config(dir, "rebound.queues.q {}"), Map.of("q", succeeds), new Handlers(), dayAgo)) {
      Instant before = dayAgo.instant();
      String id = await(node.enqueue("q", EnqueueRequest.builder("{}").build())).item().id();
      Map<String, ItemView> done = TestNodes.awaitTerminal(node, List.of(id), Duration.ofSeconds(30));
      Instant after = dayAgo.instant();

      ItemView item = done.get(id);
      assertEquals(ItemStatus.SUCCEEDED, item.status());
      assertFalse(item.createdAt().isBefore(before), item.createdAt() + " is before " + before);
      assertFalse(item.updatedAt().isAfter(after), item.updatedAt() + " is after " + after);
      for (HistoryEntry step : await(node.history(id))) {
        assertTrue(step.at().isBefore(Instant.now().minus(Duration.ofHours(23))), "a step at the node's time: " + step);
      }
    }
  }
}
