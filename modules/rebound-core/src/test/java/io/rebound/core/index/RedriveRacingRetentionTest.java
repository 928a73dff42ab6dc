package io.rebound.core.index;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thousand dead letters, each redriven while retention purges it: whichever wins, nothing is
 * lost. A redrive that was acknowledged keeps the whole item; a purge that won leaves no
 * headless journal (events without their Enqueued), even for items whose actor was still in
 * memory with its old state when the purge committed.
 */
class RedriveRacingRetentionTest {
  private static final int ITEMS = 1000;
  private static final String QUEUES = """
      rebound.queues.work { handler.type = simulated, retry { max-attempts = 1 }, concurrency = 64 }
      rebound.retention.enabled = off
      rebound.index.group-within = 50ms
      """;

  @TempDir Path dir;

  private Rebound start() {
    Config config = ConfigFactory.parseString("rebound.data-dir = \"" + dir.toString().replace("\\", "/") + "\"\n" + QUEUES);
    return Rebound.start(config);
  }

  private static Connection open(Rebound node) throws java.sql.SQLException {
    return DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "");
  }

  private static long count(Connection c, String sql) throws Exception {
    try (PreparedStatement st = c.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void redrive_racing_retention_a_thousand_times_loses_nothing() throws Exception {
    List<String> ids = new ArrayList<>();
    Map<String, Boolean> acknowledged = new ConcurrentHashMap<>();
    long headlessBefore = ItemEntity.HEADLESS_JOURNALS.get();
    RetentionRun run;
    try (Rebound node = start()) {
      for (int i = 0; i < ITEMS; i++) {
        ids.add(await(node.enqueue("work", EnqueueRequest.builder("{\"fail\":1,\"kind\":\"PERMANENT\"}").build())).item().id());
      }
      TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(120));
      node.pause("work"); // redriven items stay PENDING: the journals stay as the race left them
      try (Connection c = open(node)) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count(c, "SELECT COUNT(*) FROM rebound_item WHERE status = 'DEAD_LETTERED'") < ITEMS) {
          assertTrue(System.nanoTime() < deadline, "the index never showed every dead letter");
          Thread.sleep(100);
        }
        // Past the queue's retention (30d for dead letters).
        try (PreparedStatement st = c.prepareStatement("UPDATE rebound_item SET updated_at = ?")) {
          st.setObject(1, IndexUpdates.time(Instant.now().minus(Duration.ofDays(31))));
          st.executeUpdate();
        }
      }
      // Every item's actor in memory with its DEAD_LETTERED state: the redrive needs no recovery.
      CompletableFuture.allOf(ids.stream().map(id -> node.status(id).toCompletableFuture()).toArray(CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);
      Serialization serialization = SerializationExtension.get(Adapter.toClassic(node.system()));
      RetentionPurge purge = new RetentionPurge(() -> open(node), (payload, serializerId, manifest) ->
          Retention.terminalStatus(serialization.deserialize(payload, serializerId, manifest).get()), Clock.systemUTC());
      List<String> order = new ArrayList<>(ids);
      Collections.shuffle(order, new Random(14));
      CompletableFuture<RetentionRun> purging = CompletableFuture.supplyAsync(() -> {
        try {
          return purge.run(Instant.now(), Map.of("work", node.settings().queues().get("work").retention()),
              node.settings().retention().defaultPeriods(), ITEMS);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      List<CompletableFuture<?>> redrives = new ArrayList<>();
      for (String id : order) {
        redrives.add(node.redrive(id).toCompletableFuture().handle((v, e) -> acknowledged.put(id, e == null)));
      }
      run = purging.get(120, TimeUnit.SECONDS);
      CompletableFuture.allOf(redrives.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }
    long redriven = acknowledged.values().stream().filter(b -> b).count();
    System.out.printf("race: %d purged, %d skipped, %d redrives acknowledged%n", run.total(), run.skipped(), redriven);
    assertEquals(ITEMS, run.total() + run.skipped(), run.toString());

    // A new node: nothing of the race is left in memory, only what the journal says.
    try (Rebound node = start()) {
      node.pause("work");
      try (Connection c = open(node)) {
        assertEquals(0, count(c, "SELECT COUNT(*) FROM (SELECT \"persistence_id\" FROM \"event_journal\" WHERE \"deleted\" = false"
            + " GROUP BY \"persistence_id\" HAVING MIN(\"sequence_number\") > 1) h"), "journals without their Enqueued");
      }
      for (String id : ids) {
        var status = await(node.status(id));
        if (acknowledged.get(id)) {
          assertTrue(status.isPresent(), "an acknowledged redrive lost item " + id);
          assertEquals(ItemStatus.PENDING, status.get().status());
          List<HistoryEntry> history = await(node.history(id));
          assertEquals("enqueued", history.get(0).type(), history.toString());
          assertEquals("redriven", history.get(history.size() - 1).type(), history.toString());
        } else {
          // The purge won: the item is gone, wholly.
          assertTrue(status.isEmpty(), "item " + id + " is " + status);
        }
      }
      assertEquals(headlessBefore, ItemEntity.HEADLESS_JOURNALS.get(), "items recovered without their Enqueued");
    }
  }
}
