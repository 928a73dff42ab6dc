package io.rebound.core.outbox;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemIds;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exactly one item per committed row, with writers on several threads and a node killed on the way. */
abstract class OutboxCrashContract {
  // No graceful shutdown: terminate() must not run CoordinatedShutdown's drain.
  private static final String CONFIG = """
      pekko.coordinated-shutdown.run-by-actor-system-terminate = off
      rebound.queues.mail {}
      rebound.outbox.poll-interval = 50ms
      # Items the first node had in memory wake on the second as soon as the index shows them.
      rebound.wake.settle = 1s
      """;
  private static final int WRITERS = 4;

  @TempDir Path dir;

  abstract OutboxDb database(Path dir);

  /** Markers committed, and of those the keyed ones; rolled-back markers too, to show they never ran. */
  private final Set<String> committed = ConcurrentHashMap.newKeySet();
  private final Set<String> committedKeys = ConcurrentHashMap.newKeySet();
  private final Set<String> rolledBack = ConcurrentHashMap.newKeySet();

  @Test
  void every_committed_row_becomes_exactly_one_item_across_a_node_killed_before_relaying_them() throws Exception {
    try (OutboxDb db = database(dir)) {
      RecordingHandler firstHandler = new RecordingHandler();
      Rebound first = Rebound.start(db.config(CONFIG), Map.of("mail", firstHandler));
      write(db, "a", 15);
      await().atMost(Duration.ofSeconds(60)).until(() -> !firstHandler.items.isEmpty());
      // Killed, with rows committed and not relayed yet (and perhaps some enqueued, not deleted).
      first.system().terminate();
      first.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      write(db, "b", 10);
      assertTrue(rows(db) > 0, "no row was left for the next node");

      RecordingHandler secondHandler = new RecordingHandler();
      try (Rebound second = Rebound.start(db.config(CONFIG), Map.of("mail", secondHandler))) {
        write(db, "c", 10);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> rows(db) == 0
            && union(firstHandler, secondHandler).keySet().containsAll(committed));

        Map<String, Set<String>> ran = union(firstHandler, secondHandler);
        assertEquals(committed, ran.keySet(), "markers that ran, rolled-back ones among them?");
        ran.forEach((marker, ids) -> assertEquals(1, ids.size(), marker + " ran as items " + ids));
        assertEquals(committed.size(), TestNodes.eventsInJournal(second, "Enqueued"), "items in the journal");
        for (String key : committedKeys) {
          assertTrue(TestNodes.await(second.status(ItemIds.forKey("mail", key))).isPresent(), key);
        }
        assertTrue(rolledBack.size() > 0 && committed.size() > 0);
      }
    }
  }

  /** Transactions from several threads: a third roll back; half the rows carry a key. */
  private void write(OutboxDb db, String phase, int transactionsPerWriter) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    try {
      List<Future<Object>> done = new java.util.ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        done.add(pool.submit(() -> {
          try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            for (int t = 0; t < transactionsPerWriter; t++) {
              Set<String> markers = new HashSet<>();
              Set<String> keys = new HashSet<>();
              for (int r = 0; r < 1 + t % 3; r++) {
                String marker = phase + "-" + writer + "-" + t + "-" + r;
                EnqueueRequest.Builder b = EnqueueRequest.builder("{\"m\":\"" + marker + "\"}");
                if (r % 2 == 0) {
                  b.key("k-" + marker);
                  keys.add("k-" + marker);
                }
                Outbox.enqueue(c, "mail", b.build());
                markers.add(marker);
              }
              if (t % 3 == 2) {
                c.rollback();
                rolledBack.addAll(markers);
              } else {
                c.commit();
                committed.addAll(markers);
                committedKeys.addAll(keys);
              }
            }
          }
          return null;
        }));
      }
      for (Future<Object> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static Map<String, Set<String>> union(RecordingHandler a, RecordingHandler b) {
    Map<String, Set<String>> all = new ConcurrentHashMap<>();
    for (RecordingHandler h : List.of(a, b)) {
      h.items.forEach((m, ids) -> all.computeIfAbsent(m, x -> new HashSet<>()).addAll(ids));
    }
    return all;
  }

  private static int rows(OutboxDb db) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM rebound_outbox")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
