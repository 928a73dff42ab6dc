package io.rebound.core.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rebound.core.enqueue.OverloadedException;
import io.rebound.core.storage.IndexDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A pass's decisions over a real table, with an enqueue that refuses as an overloaded node does. */
class RelayPassTest {
  private static final String URL = "jdbc:h2:mem:relay-pass;DATABASE_TO_UPPER=false;DB_CLOSE_DELAY=-1";
  private ExecutorService executor;
  private IndexDatabase db;
  private Connection keepAlive;

  @BeforeEach
  void setUp() throws Exception {
    keepAlive = DriverManager.getConnection(URL, "sa", "");
    OutboxSchema.ensure(keepAlive);
    executor = Executors.newSingleThreadExecutor();
    db = new IndexDatabase(URL, "sa", "", 1, executor, "test-outbox");
  }

  @AfterEach
  void tearDown() throws Exception {
    db.close();
    executor.shutdownNow();
    try (Statement st = keepAlive.createStatement()) {
      st.execute("DROP ALL OBJECTS");
    }
    keepAlive.close();
  }

  @Test
  void rows_refused_as_overloaded_stay_and_a_later_pass_relays_them_once_each() throws Exception {
    try (Statement st = keepAlive.createStatement()) {
      for (int i = 0; i < 10; i++) {
        st.executeUpdate("INSERT INTO rebound_outbox (queue, payload) VALUES ('mail', '{\"n\":" + i + "}')");
      }
    }
    Map<String, AtomicInteger> enqueued = new ConcurrentHashMap<>();
    AtomicInteger calls = new AtomicInteger();
    // Every other enqueue is refused, as a node with its enqueues in flight full refuses them.
    OutboxRelay.Enqueuer node = (id, queue, request, traceparent) -> {
      if (calls.incrementAndGet() % 2 == 0) {
        return CompletableFuture.failedFuture(new OverloadedException(1, Duration.ofSeconds(1)));
      }
      enqueued.computeIfAbsent(request.payload(), p -> new AtomicInteger()).incrementAndGet();
      return CompletableFuture.completedFuture(null);
    };
    RelayPass pass = new RelayPass(db, node, Clock.systemUTC(), 100);

    RelayPass.Result first = pass.run().toCompletableFuture().get();
    assertEquals(List.of(10, 5, 0, 5, 5), List.of(first.read(), first.relayed(), first.bad(), first.kept(), first.overloaded()));
    assertEquals(5, rows());
    int passes = 1;
    while (rows() > 0 && passes < 20) {
      pass.run().toCompletableFuture().get();
      passes++;
    }
    assertEquals(0, rows());
    assertEquals(10, enqueued.size());
    enqueued.forEach((payload, n) -> assertEquals(1, n.get(), payload));
  }

  @Test
  void a_failed_enqueue_keeps_its_row_and_says_why() throws Exception {
    try (Statement st = keepAlive.createStatement()) {
      st.executeUpdate("INSERT INTO rebound_outbox (queue, payload) VALUES ('mail', '{}')");
    }
    RelayPass pass = new RelayPass(db,
        (id, queue, request, traceparent) -> CompletableFuture.failedFuture(new IllegalStateException("ask timed out")), Clock.systemUTC(), 100);
    RelayPass.Result r = pass.run().toCompletableFuture().get();
    assertEquals(List.of(1, 0, 1), List.of(r.read(), r.relayed(), r.kept()));
    assertEquals(1, rows());
    assertEquals(true, r.firstError().contains("ask timed out"), r.firstError());
  }

  private int rows() throws Exception {
    try (Statement st = keepAlive.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM rebound_outbox")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
