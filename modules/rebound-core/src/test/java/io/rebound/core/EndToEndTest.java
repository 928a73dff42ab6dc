package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.EnqueueResult;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.rebound.api.ErrorKind;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndToEndTest {
  private static final String QUEUES = """
      rebound.queues.work {
        handler.type = simulated
        concurrency = 16
        retry { max-attempts = 3, initial = 10ms, max-interval = 50ms, jitter = none }
      }
      """;

  @TempDir Path dir;

  /** A node's config on the database under test: an H2 file here, PostgreSQL in {@link PostgresEndToEndTest}. */
  protected Config config(String queues) {
    return TestNodes.config(dir, queues);
  }

  @Test
  void thousandMixedItemsAllReachTheRightTerminalStateWithTheRightAttempts() throws Exception {
    try (Rebound node = Rebound.start(config(QUEUES))) {
      // payload -> expected (status, attempts)
      Map<String, Object[]> expected = new LinkedHashMap<>();
      List<java.util.concurrent.CompletableFuture<EnqueueResult>> results = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        String payload;
        Object[] want;
        if (i % 10 < 6) {
          payload = "{}";
          want = new Object[] {ItemStatus.SUCCEEDED, 1};
        } else if (i % 10 < 8) {
          int fails = 1 + i % 2;
          payload = "{\"fail\":" + fails + ",\"kind\":\"TRANSIENT\"}";
          want = new Object[] {ItemStatus.SUCCEEDED, fails + 1};
        } else if (i % 10 == 8) {
          payload = "{\"fail\":1,\"kind\":\"PERMANENT\"}";
          want = new Object[] {ItemStatus.DEAD_LETTERED, 1};
        } else {
          payload = "{\"fail\":9,\"kind\":\"TRANSIENT\"}";
          want = new Object[] {ItemStatus.DEAD_LETTERED, 3};
        }
        results.add(node.enqueue("work", EnqueueRequest.builder(payload).build()).toCompletableFuture());
        expected.put(payload + "#" + i, want);
      }
      List<String> ids = new ArrayList<>();
      for (var f : results) {
        EnqueueResult r = f.get();
        assertTrue(r.created());
        ids.add(r.item().id());
      }
      Map<String, ItemView> done = TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(90));
      int i = 0;
      for (Object[] want : expected.values()) {
        ItemView v = done.get(ids.get(i++));
        assertEquals(want[0], v.status(), v.toString());
        assertEquals(want[1], v.attempts(), v.toString());
      }
      assertEquals(800, TestNodes.count(done, ItemStatus.SUCCEEDED));
      assertEquals(200, TestNodes.count(done, ItemStatus.DEAD_LETTERED));

      // Every attempt is an event that can be read back.
      List<HistoryEntry> h = await(node.history(ids.get(9)));
      List<String> types = h.stream().map(HistoryEntry::type).toList();
      assertEquals(List.of("enqueued", "attempt-started", "attempt-failed", "attempt-started", "attempt-failed",
          "attempt-started", "attempt-failed", "dead-lettered"), types);
      assertEquals(ErrorKind.TRANSIENT, h.get(2).details().get("kind"));
      assertTrue(h.get(2).details().get("stackTrace").toString().contains("TransientException"));
    }
  }

  @Test
  void enqueueIsIdempotentOnQueueAndKey() throws Exception {
    try (Rebound node = Rebound.start(config(QUEUES))) {
      EnqueueResult first = await(node.enqueue("work", EnqueueRequest.builder("{\"n\":1}").key("order-42").build()));
      EnqueueResult second = await(node.enqueue("work", EnqueueRequest.builder("{\"n\":2}").key("order-42").build()));
      assertTrue(first.created());
      assertFalse(second.created());
      assertEquals(first.item().id(), second.item().id());
      assertEquals("{\"n\":1}", second.item().payload());
    }
  }

  @Test
  void callsDoNotStartAThreadEach() throws Exception {
    try (Rebound node = Rebound.start(config(QUEUES))) {
      for (int i = 0; i < 50; i++) {
        await(node.enqueue("work", EnqueueRequest.builder("{}").build()));
      }
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      long before = threads.getTotalStartedThreadCount();
      List<java.util.concurrent.CompletableFuture<?>> calls = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        calls.add(node.enqueue("work", EnqueueRequest.builder("{}").build())
            .thenCompose(r -> node.status(r.item().id())).toCompletableFuture());
      }
      for (var c : calls) {
        c.get();
      }
      long started = threads.getTotalStartedThreadCount() - before;
      // Scala's CompletionStage wrapper runs plain continuations async on the common pool, which
      // with parallelism 1 (2 cores) means a new thread per call: 1,000 here before the fix.
      assertTrue(started < 100, started + " threads started for 1,000 calls");
    }
  }

  @Test
  void aDeadLetterRedrivenTheMomentItLandsStillRunsAgain() throws Exception {
    // The item asks its shard to passivate as it is dead-lettered; a redrive handled before the
    // shard's stop used to revive it only to be stopped and forgotten.
    try (Rebound node = Rebound.start(config(QUEUES))) {
      node.onTransition(t -> {
        if (t.status() == ItemStatus.DEAD_LETTERED) {
          node.redrive(t.id());
        }
      });
      for (int i = 0; i < 200; i++) {
        node.enqueue("work", EnqueueRequest.builder("{\"fail\":1,\"kind\":\"PERMANENT\"}").build());
      }
      // Nothing asks the items anything until they are done: asking would wake them.
      Awaitility.await("200 redriven items ran again").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200)).until(() -> TestNodes.eventsInJournal(node, "Succeeded") >= 200);
    }
  }

  @Test
  void anItemItsHandlerKeepsParkingIsDeadLetteredAfterMaxPark() throws Exception {
    String queues = """
        rebound.queues.flaky-tool {
          handler.type = simulated
          park-retry = 100ms
          max-park = 1s
        }
        """;
    try (Rebound node = Rebound.start(config(queues))) {
      String id = await(node.enqueue("flaky-tool",
          EnqueueRequest.builder("{\"fail\":100000,\"kind\":\"TOOL_UNAVAILABLE\"}").build())).item().id();
      ItemView v = TestNodes.awaitTerminal(node, List.of(id), Duration.ofSeconds(20)).get(id);
      assertEquals(ItemStatus.DEAD_LETTERED, v.status());
      assertEquals(ErrorKind.TOOL_UNAVAILABLE, v.lastError().kind());
      assertEquals(0, v.attempts(), "parking never burns an attempt");
    }
  }
}
