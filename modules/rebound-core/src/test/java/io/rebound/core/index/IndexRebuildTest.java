package io.rebound.core.index;

import static io.rebound.core.TestNodes.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.EnqueueResult;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemIds;
import io.rebound.core.item.ItemStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rebuilding rebound_item from the journal on a live node: the same rows, a corrupted one repaired, enqueues served meanwhile. */
class IndexRebuildTest {
  private static final String QUEUES = """
      rebound.index.group-within = 50ms
      jdbc-read-journal.refresh-interval = 200ms
      rebound.queues.work {
        handler.type = simulated
        concurrency = 8
        retry { max-attempts = 2, initial = 10ms, jitter = none }
      }
      """;

  @TempDir Path dir;

  /** A node's config on the database under test: an H2 file here, PostgreSQL in {@link PostgresIndexRebuildTest}. */
  protected Config config(String queues) {
    return TestNodes.config(dir, queues);
  }

  private static Connection connect(Rebound node) throws Exception {
    Config config = node.system().settings().config();
    return DriverManager.getConnection(node.settings().effectiveDatabaseUrl(),
        config.getString("rebound.database.user"), config.getString("rebound.database.password"));
  }

  /** Every row of the index, by id, every column as text. */
  private static Map<String, List<String>> rows(Rebound node) throws Exception {
    Map<String, List<String>> rows = new TreeMap<>();
    try (Connection c = connect(node); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM rebound_item")) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.add(meta.getColumnName(i) + "=" + rs.getString(i));
        }
        rows.put(rs.getString("id"), row);
      }
    }
    return rows;
  }

  private static void sql(Rebound node, String sql) throws Exception {
    try (Connection c = connect(node); Statement st = c.createStatement()) {
      st.executeUpdate(sql);
    }
  }

  private static List<String> enqueue(Rebound node, int n, int offset) {
    String[] payloads = {"{}", "{\"fail\":1}", "{\"fail\":1,\"kind\":\"PERMANENT\"}", "{\"fail\":5}"};
    List<CompletableFuture<EnqueueResult>> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sent.add(node.enqueue("work", EnqueueRequest.builder(payloads[(offset + i) % payloads.length]).build()).toCompletableFuture());
    }
    return sent.stream().map(f -> f.join().item().id()).toList();
  }

  private static void awaitIndexed(Rebound node, List<String> ids) {
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      Map<String, List<String>> rows = rows(node);
      return ids.stream().allMatch(id -> rows.containsKey(id) && isTerminal(rows.get(id)));
    });
  }

  private static boolean isTerminal(List<String> row) {
    return row.stream().anyMatch(c -> c.equalsIgnoreCase("status=SUCCEEDED") || c.equalsIgnoreCase("status=DEAD_LETTERED"));
  }

  @Test
  void a_rebuilt_index_equals_the_live_one_repairs_a_corrupted_row_and_enqueues_go_on_meanwhile() throws Exception {
    try (Rebound node = Rebound.start(config(QUEUES))) {
      List<String> before = enqueue(node, 40, 0);
      TestNodes.awaitTerminal(node, before, Duration.ofSeconds(60));
      awaitIndexed(node, before);
      Map<String, List<String>> live = rows(node);
      assertEquals(40, live.size());

      // A corrupted row, a lost one and one for an item the journal never had.
      sql(node, "UPDATE rebound_item SET status = 'PENDING', attempts = 42, wake_at = NULL WHERE id = '" + before.get(3) + "'");
      sql(node, "DELETE FROM rebound_item WHERE id = '" + before.get(5) + "'");
      String stranger = ItemIds.random();
      sql(node, "INSERT INTO rebound_item (id, queue, status, priority, attempts, created_at, updated_at)"
          + " VALUES ('" + stranger + "', 'work', 'RUNNING', 0, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
      // Depth counts gone astray (as an older version's projection, which kept none, leaves them).
      sql(node, "UPDATE rebound_item_count SET n = n + 1000");

      IndexRebuild.Status started = await(node.rebuildIndex());
      assertEquals("RUNNING", started.state());
      // The node keeps serving while it runs.
      List<String> during = enqueue(node, 12, 0);
      await().atMost(Duration.ofSeconds(90)).until(() -> {
        String state = await(node.indexRebuildStatus()).state();
        if (state.equals("FAILED")) {
          throw new AssertionError("the rebuild failed: " + await(node.indexRebuildStatus()));
        }
        return state.equals("DONE");
      });
      IndexRebuild.Status done = await(node.indexRebuildStatus());
      assertTrue(done.items() >= 40, done.toString());
      TestNodes.awaitTerminal(node, during, Duration.ofSeconds(60));
      awaitIndexed(node, during);

      Map<String, List<String>> rebuilt = rows(node);
      for (String id : before) {
        assertEquals(live.get(id), rebuilt.get(id), "row of " + id);
      }
      assertTrue(!rebuilt.containsKey(stranger), "the row of an item the journal never had is gone");
      assertEquals(52, rebuilt.size());
      assertEquals(12, during.stream().filter(rebuilt::containsKey).count());
      Map<ItemStatus, Long> counts = await(node.index().stats("work", Instant.now())).counts();
      assertEquals(52, counts.get(ItemStatus.SUCCEEDED) + counts.get(ItemStatus.DEAD_LETTERED), "the rebuild counted its rows: " + counts);
      assertEquals(52, counts.values().stream().mapToLong(Long::longValue).sum(), counts.toString());
    }
  }

  @Test
  void a_second_rebuild_while_one_runs_is_refused() throws Exception {
    try (Rebound node = Rebound.start(config(QUEUES))) {
      assertEquals("IDLE", await(node.indexRebuildStatus()).state());
      // Another node holds the lock and is alive (a fresh heartbeat).
      sql(node, "INSERT INTO rebound_index_rebuild (id, state, node, started_at, heartbeat, items, estimate)"
          + " VALUES ('index', 'RUNNING', 'pekko://rebound@10.0.0.9:25520', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 7, 100)");
      ExecutionException refused = assertThrows(ExecutionException.class, () -> node.rebuildIndex().toCompletableFuture().get());
      assertInstanceOf(IndexRebuild.AlreadyRunningException.class, refused.getCause().getCause() != null
          && !(refused.getCause() instanceof IndexRebuild.AlreadyRunningException) ? refused.getCause().getCause() : refused.getCause());
      assertTrue(refused.getCause().getMessage().contains("10.0.0.9"), refused.getCause().getMessage());
      // Its node died: after the heartbeat goes stale, the lock is taken over.
      sql(node, "UPDATE rebound_index_rebuild SET heartbeat = TIMESTAMP WITH TIME ZONE '2020-01-01 00:00:00+00'");
      assertEquals("RUNNING", await(node.rebuildIndex()).state());
      await().atMost(Duration.ofSeconds(60)).until(() -> await(node.indexRebuildStatus()).state().equals("DONE"));
    }
  }
}
