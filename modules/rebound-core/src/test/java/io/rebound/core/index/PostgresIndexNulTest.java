package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.PostgresTestDatabase;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL refuses NUL in text. An item whose error message holds one must not stop its slice of
 * the index: every item enqueued after it still appears there (skipped without PostgreSQL).
 */
class PostgresIndexNulTest {
  @TempDir Path dir;
  private PostgresTestDatabase db;

  @BeforeEach
  void createDatabase() {
    db = PostgresTestDatabase.create();
  }

  @AfterEach
  void dropDatabase() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void anErrorMessageWithNulIsStoredSanitizedAndTheIndexKeepsUpWithEveryLaterItem() throws Exception {
    JobHandler handler = ctx -> {
      if (ctx.payload().has("nul")) {
        throw new PermanentException("bad byte: a\u0000b");
      }
      return CompletableFuture.completedFuture(null);
    };
    var config = ConfigFactory.parseString(db.config() + "pekko.persistence.jdbc.query.refresh-interval = 200ms\n")
        .withFallback(TestNodes.config(dir, "rebound.queues.q { concurrency = 8 }"));
    try (Rebound node = Rebound.start(config, Map.of("q", handler))) {
      List<String> ids = new ArrayList<>();
      // Several with NUL, so that every slice of the index gets one.
      for (int i = 0; i < 8; i++) {
        ids.add(TestNodes.await(node.enqueue("q", EnqueueRequest.builder("{\"nul\":true}").build())).item().id());
      }
      for (int i = 0; i < 40; i++) {
        ids.add(TestNodes.await(node.enqueue("q", EnqueueRequest.builder("{}").build())).item().id());
      }
      TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(60));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      Map<ItemStatus, Long> counts = Map.of();
      while (System.nanoTime() < deadline) {
        counts = TestNodes.await(node.index().depthByQueue()).getOrDefault("q", Map.of());
        if (counts.getOrDefault(ItemStatus.SUCCEEDED, 0L) == 40 && counts.getOrDefault(ItemStatus.DEAD_LETTERED, 0L) == 8) {
          break;
        }
        Thread.sleep(200);
      }
      assertEquals(40L, counts.getOrDefault(ItemStatus.SUCCEEDED, 0L), "succeeded items in the index: " + counts);
      assertEquals(8L, counts.getOrDefault(ItemStatus.DEAD_LETTERED, 0L), "dead letters in the index: " + counts);
      assertEquals(List.of(), ProjectionHealth.get(node.system()).failing());
      try (Connection c = DriverManager.getConnection(db.url(), PostgresTestDatabase.USER, "");
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT last_error FROM rebound_item WHERE status = 'DEAD_LETTERED' LIMIT 1")) {
        rs.next();
        assertEquals("bad byte: a\uFFFDb", rs.getString(1));
      }
    }
  }
}
