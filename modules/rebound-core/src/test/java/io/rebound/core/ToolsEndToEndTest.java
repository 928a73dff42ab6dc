package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.EnqueueResult;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.rebound.api.ErrorKind;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import io.rebound.core.tools.ToolState;
import io.rebound.core.tools.ToolView;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tools end to end: a real node, a real TCP server as the tool and the tcp probe watching it.
 * Closing the server socket takes the tool down; reopening it on the same port brings it back.
 */
@Timeout(value = 45, unit = TimeUnit.SECONDS)
class ToolsEndToEndTest {
  private static final String TOOL = "db";
  private static final String QUEUE = "work";

  @TempDir Path dir;

  private ToolServer server;

  @BeforeEach
  void openTool() throws IOException {
    server = new ToolServer();
  }

  @AfterEach
  void closeTool() {
    server.close();
  }

  // ---- tests ------------------------------------------------------------------------------

  @Test
  void itemsParkWhileTheirToolIsDownWithoutBurningAttemptsAndRunWhenItComesBack() throws Exception {
    server.close();
    try (Rebound node = start("")) {
      awaitToolState(node, ToolState.DOWN);
      List<String> ids = enqueue(node, 30, "{}");

      awaitStatus(node, ids, ItemStatus.PARKED, Duration.ofSeconds(15));
      awaitParkedCount(node, 30, Duration.ofSeconds(10));
      for (String id : ids) {
        ItemView v = status(node, id);
        assertEquals(0, v.attempts(), "a parked item burned an attempt: " + v);
        assertEquals(ErrorKind.TOOL_UNAVAILABLE, v.lastError().kind(), v.toString());
      }
      assertEquals(0, TestNodes.eventsInJournal(node, "AttemptStarted"), "an attempt ran while the tool was down");
      assertEquals(30, await(node.parked(TOOL, 100)).items().size());

      server.reopen();
      Map<String, ItemView> done = TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(20));
      for (ItemView v : done.values()) {
        assertEquals(ItemStatus.SUCCEEDED, v.status(), v.toString());
        assertEquals(1, v.attempts(), "only the real attempt counts: " + v);
      }
      // The list is the index's: it drops released items within the projection's lag.
      awaitParkedCount(node, 0, Duration.ofSeconds(5));

      List<String> types = types(await(node.history(ids.get(0))));
      assertEquals(List.of("enqueued", "parked", "unparked", "attempt-started", "succeeded"), types);
    }
  }

  @Test
  void releaseIsRateLimited() throws Exception {
    int items = 60;
    server.close();
    try (Rebound node = start("")) {
      ConcurrentLinkedQueue<Object[]> released = new ConcurrentLinkedQueue<>();
      Set<String> releasedIds = ConcurrentHashMap.newKeySet();
      AtomicLong reopenedAt = new AtomicLong(Long.MAX_VALUE);
      node.onTransition(t -> {
        long now = System.nanoTime();
        if (now >= reopenedAt.get() && (t.status() == ItemStatus.PENDING || t.status() == ItemStatus.RUNNING)
            && releasedIds.add(t.id())) {
          released.add(new Object[] {now, t.id()});
        }
      });
      awaitToolState(node, ToolState.DOWN);
      // Two thirds at low priority first, then the urgent third: those are released first.
      List<String> ids = new ArrayList<>(enqueue(node, 40, "{}", 0));
      List<String> urgent = enqueue(node, 20, "{}", 9);
      ids.addAll(urgent);
      awaitStatus(node, ids, ItemStatus.PARKED, Duration.ofSeconds(15));
      awaitParkedCount(node, items, Duration.ofSeconds(10));
      assertEquals(Set.copyOf(urgent), Set.copyOf(await(node.parked(TOOL, 20)).items()), "release order is not by priority");

      long reopened = System.nanoTime();
      reopenedAt.set(reopened);
      server.reopen();
      Map<String, ItemView> done = TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(25));
      assertEquals(items, TestNodes.count(done, ItemStatus.SUCCEEDED));
      waitUntil(() -> releasedIds.size() == items, Duration.ofSeconds(5), () -> "released seen: " + releasedIds.size());

      List<Object[]> inOrder = released.stream().sorted(Comparator.comparingLong(a -> (Long) a[0])).toList();
      List<Long> times = inOrder.stream().map(a -> (Long) a[0]).toList();
      List<String> order = inOrder.stream().map(a -> (String) a[1]).toList();
      // Priority first (two per 100ms tick, so only the tick at the boundary may mix).
      assertTrue(urgent.containsAll(order.subList(0, 18)), "a low-priority item was released among the first 18");
      for (String id : urgent) {
        assertTrue(order.indexOf(id) < 22, "urgent item released at position " + order.indexOf(id));
      }
      double spread = (times.get(times.size() - 1) - reopened) / 1e9;
      // 60 items at 20/s: about 3s; allow for tick alignment.
      assertTrue(spread >= 2.0, "60 items released at 20/s in " + spread + "s");
      // And no burst: within any one second no more than the rate plus a tick or two of slack.
      int maxInOneSecond = 0;
      for (int i = 0; i < times.size(); i++) {
        int n = 0;
        for (int j = i; j < times.size() && times.get(j) - times.get(i) < 1_000_000_000L; j++) {
          n++;
        }
        maxInOneSecond = Math.max(maxInOneSecond, n);
      }
      assertTrue(maxInOneSecond <= 26, maxInOneSecond + " items released within one second at release-rate 20");
    }
  }

  @Test
  void aHandlerReportingTheToolUnavailableParksTheItemWithoutBurningAnAttempt() throws Exception {
    try (Rebound node = start("")) {
      awaitToolState(node, ToolState.UP);
      // The node's view of the tool at the moment the item parked (health is read synchronously).
      CopyOnWriteArrayList<CompletableFuture<List<Rebound.ToolStatus>>> atPark = new CopyOnWriteArrayList<>();
      node.onTransition(t -> {
        if (t.status() == ItemStatus.PARKED) {
          atPark.add(node.tools().toCompletableFuture());
        }
      });
      Instant enqueued = Instant.now();
      String id = await(node.enqueue(QUEUE, EnqueueRequest.builder("{\"fail\":1,\"kind\":\"TOOL_UNAVAILABLE\"}").build())).item().id();

      // The probe runs every 100ms: released well within seconds (see anItemWhoseParkIsRecordedAfterItsToolCameBackIsStillReleased).
      Map<String, ItemView> done = TestNodes.awaitTerminal(node, List.of(id), Duration.ofSeconds(6));
      ItemView v = done.get(id);
      assertEquals(ItemStatus.SUCCEEDED, v.status(), v.toString());
      assertEquals(1, v.attempts(), "the parked attempt was counted: " + v);

      List<HistoryEntry> h = await(node.history(id));
      assertEquals(List.of("enqueued", "attempt-started", "parked", "unparked", "attempt-started", "succeeded"), types(h));
      // The handler named an unknown tool: the queue's tools are the ones it waits for.
      assertEquals(List.of(TOOL), h.get(2).details().get("tools"), h.toString());
      assertEquals(1, h.get(4).attempt(), "the second execution is still attempt 1: " + h);

      // The report marked the tool down until the next good probe, which may come before the item's
      // Parked event is written: then the tool is up again, but only since after the enqueue.
      assertEquals(1, atPark.size());
      Rebound.ToolStatus db = atPark.get(0).get(10, TimeUnit.SECONDS).get(0);
      if (db.view().state() == ToolState.DOWN) {
        assertTrue(String.valueOf(db.view().lastError()).contains("reported it unavailable"), db.toString());
      } else {
        assertEquals(ToolState.UP, db.view().state(), db.toString());
        assertTrue(db.view().since().isAfter(enqueued), "the handler's report did not mark the tool down: " + db);
      }
      // The next good probe brought it back.
      awaitToolState(node, ToolState.UP);
    }
  }

  @Test
  void parkedItemsSurviveANodeRestartAndAreReleasedAfterwards() throws Exception {
    int items = 20;
    server.close();
    List<String> ids;
    try (Rebound first = start("")) {
      awaitToolState(first, ToolState.DOWN);
      ids = enqueue(first, items, "{}");
      awaitStatus(first, ids, ItemStatus.PARKED, Duration.ofSeconds(15));
      awaitParkedCount(first, items, Duration.ofSeconds(10));
    }
    try (Rebound second = start("")) {
      awaitToolState(second, ToolState.DOWN);
      awaitParkedCount(second, items, Duration.ofSeconds(10));
      assertEquals(Set.copyOf(ids), Set.copyOf(await(second.parked(TOOL, 100)).items()));
      assertEquals(items, await(second.parked(TOOL, 100)).count());
      // Still down: they stay parked. Asked, each recovers; whatever a recovered item does at once
      // asks the dispatcher first, so a later item of the same queue, parked by the same path
      // (permit, tool check), shows that it has all been handled.
      for (String id : ids) {
        assertEquals(ItemStatus.PARKED, status(second, id).status());
      }
      String marker = await(second.enqueue(QUEUE, EnqueueRequest.builder("{}").priority(0).build())).item().id();
      awaitStatus(second, List.of(marker), ItemStatus.PARKED, Duration.ofSeconds(15));
      for (String id : ids) {
        ItemView v = status(second, id);
        assertEquals(ItemStatus.PARKED, v.status(), v.toString());
        assertEquals(0, v.attempts(), v.toString());
      }

      server.reopen();
      Map<String, ItemView> done = TestNodes.awaitTerminal(second, ids, Duration.ofSeconds(20));
      assertEquals(items, done.size());
      for (ItemView v : done.values()) {
        assertEquals(ItemStatus.SUCCEEDED, v.status(), v.toString());
        assertEquals(1, v.attempts(), v.toString());
      }
      TestNodes.awaitTerminal(second, List.of(marker), Duration.ofSeconds(20));
      assertEquals(items + 1, TestNodes.eventsInJournal(second, "Succeeded"), "an item ran twice or not at all");
      awaitParkedCount(second, 0, Duration.ofSeconds(5));
    }
  }

  @Test
  void anItemParkedLongerThanMaxParkIsDeadLettered() throws Exception {
    server.close();
    try (Rebound node = start("max-park = 1s")) {
      awaitToolState(node, ToolState.DOWN);
      List<String> ids = enqueue(node, 3, "{}");
      awaitStatus(node, ids, ItemStatus.PARKED, Duration.ofSeconds(10));
      // (Not the tool's list here: parked for 1s, an item may leave it before the index shows it.)

      Map<String, ItemView> done = TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(10));
      for (ItemView v : done.values()) {
        assertEquals(ItemStatus.DEAD_LETTERED, v.status(), v.toString());
        assertEquals(ErrorKind.TOOL_UNAVAILABLE, v.lastError().kind(), v.toString());
        assertEquals(0, v.attempts(), v.toString());
      }
      awaitParkedCount(node, 0, Duration.ofSeconds(5));
      List<String> types = types(await(node.history(ids.get(0))));
      assertEquals(List.of("enqueued", "parked", "dead-lettered"), types);
    }
  }

  @Test
  void anOperatorCanReleaseParkedItemsByHand() throws Exception {
    int items = 10;
    server.close();
    try (Rebound node = start("")) {
      Map<String, List<ItemStatus>> seen = new ConcurrentHashMap<>();
      AtomicBoolean releasing = new AtomicBoolean();
      node.onTransition(t -> {
        if (releasing.get()) {
          seen.computeIfAbsent(t.id(), k -> new CopyOnWriteArrayList<>()).add(t.status());
        }
      });
      awaitToolState(node, ToolState.DOWN);
      List<String> ids = enqueue(node, items, "{}");
      awaitStatus(node, ids, ItemStatus.PARKED, Duration.ofSeconds(15));
      awaitParkedCount(node, items, Duration.ofSeconds(10));

      releasing.set(true);
      assertEquals(items, await(node.releaseParked(TOOL)));
      waitUntil(() -> ids.stream().allMatch(id -> seen.getOrDefault(id, List.of()).contains(ItemStatus.PENDING)),
          Duration.ofSeconds(10), () -> "not every item went back to PENDING: " + seen);
      // The tool is still down: each parks again on its next permit, without an attempt.
      waitUntil(() -> ids.stream().allMatch(id -> seen.getOrDefault(id, List.of()).contains(ItemStatus.PARKED)),
          Duration.ofSeconds(10), () -> "not every item parked again: " + seen);
      for (String id : ids) {
        ItemView v = status(node, id);
        assertEquals(0, v.attempts(), v.toString());
        assertTrue(!seen.get(id).contains(ItemStatus.RUNNING), "an attempt ran while the tool was down: " + seen.get(id));
      }
      assertEquals(0, TestNodes.eventsInJournal(node, "AttemptStarted"));
      // Parked again means registered again: the tool's list holds them all.
      awaitParkedCount(node, items, Duration.ofSeconds(5));

      server.reopen();
      Map<String, ItemView> done = TestNodes.awaitTerminal(node, ids, Duration.ofSeconds(15));
      for (ItemView v : done.values()) {
        assertEquals(ItemStatus.SUCCEEDED, v.status(), v.toString());
        assertEquals(1, v.attempts(), v.toString());
      }
    }
  }

  @Test
  void unknownToolIsRejected() throws Exception {
    try (Rebound node = start("")) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> node.parked("nope", 10).toCompletableFuture().get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof UnknownToolException, e.toString());
      ExecutionException r = assertThrows(ExecutionException.class,
          () -> node.releaseParked("nope").toCompletableFuture().get(10, TimeUnit.SECONDS));
      assertTrue(r.getCause() instanceof UnknownToolException, r.toString());
    }
    String bad = toolConfig(server.port()) + """
        rebound.queues.other {
          handler.type = simulated
          tools = [db, nope]
        }
        """;
    ReboundConfigException e = assertThrows(ReboundConfigException.class,
        () -> Rebound.start(TestNodes.config(dir, bad)).close());
    assertEquals("rebound.queues.other.tools", e.key());
    assertTrue(e.getMessage().contains("rebound.queues.other.tools") && e.getMessage().contains("nope"), e.getMessage());
  }

  /**
   * Regression: an item whose Park reaches the tool's MissingMetadata after the tool came back was
   * never released while the tool stayed up. A handler's report marks the tool down only until the
   * next good probe (100ms here); the item's Parked event is written, and only then does it
   * register. When the probe won (a slow journal write is enough), MissingMetadata handled ToolUp
   * first, found nothing to release and stopped; the Park that followed was recorded but nothing
   * released it until max-park dead-lettered it. Here the journal write of the Parked event is
   * held up, by an open transaction holding the row the item writes next, until the tool is back.
   */
  @Test
  void anItemWhoseParkIsRecordedAfterItsToolCameBackIsStillReleased() throws Exception {
    try (Rebound node = start("")) {
      Map<String, List<ItemStatus>> statuses = new ConcurrentHashMap<>();
      node.onTransition(t -> statuses.computeIfAbsent(t.id(), k -> new CopyOnWriteArrayList<>()).add(t.status()));
      awaitToolState(node, ToolState.UP);
      Instant enqueued = Instant.now();
      // The handler takes 300ms, then reports the tool unavailable.
      String id = await(node.enqueue(QUEUE,
          EnqueueRequest.builder("{\"fail\":1,\"kind\":\"TOOL_UNAVAILABLE\",\"ms\":300}").build())).item().id();
      try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "")) {
        c.setAutoCommit(false);
        // Events 1 and 2 are Enqueued and AttemptStarted; the Parked event will be number 3.
        holdJournalRow(c, ItemEntity.persistenceId(id).id(), 3);
        // The report takes the tool down; the next good probe brings it back.
        waitUntil(() -> {
          ToolView v = tool(node).view();
          return v.state() == ToolState.UP && v.since().isAfter(enqueued);
        }, Duration.ofSeconds(5), () -> "the tool did not go down and up again: " + tool(node));
        // (No status() here: the item answers nothing while its write is held.)
        assertEquals(List.of(ItemStatus.PENDING, ItemStatus.RUNNING), statuses.get(id), "the Parked write was not held up");
        Thread.sleep(300);
        c.rollback();
      }
      waitUntil(() -> statuses.get(id).contains(ItemStatus.PARKED), Duration.ofSeconds(5),
          () -> "never parked: " + statuses.get(id));

      // The tool is up: the item must be released and run within a couple of seconds.
      ItemView v;
      try {
        v = Awaitility.await().atMost(Duration.ofSeconds(3)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
            .until(() -> status(node, id), s -> s.status() == ItemStatus.SUCCEEDED);
      } catch (ConditionTimeoutException e) {
        v = status(node, id);
      }
      if (v.status() != ItemStatus.SUCCEEDED) {
        String stuck = "the tool has been up for seconds but the parked item is not released: " + v
            + "\n tool: " + tool(node)
            + "\n parked on the tool: " + await(node.parked(TOOL, 10))
            + "\n history: " + types(await(node.history(id)));
        // Only the trigger is missing: an operator release gets it going at once.
        await(node.releaseParked(TOOL));
        String after = TestNodes.awaitTerminal(node, List.of(id), Duration.ofSeconds(3)).get(id).status().toString();
        fail(stuck + "\n after node.releaseParked(\"db\"): " + after);
      }
      assertEquals(1, v.attempts(), v.toString());
    }
  }

  /**
   * Regression: an operator's release while the tool is still down never ended. Each released item
   * parked again on its next permit and registered again, and MissingMetadata kept releasing (its
   * manual mode only stopped once nothing was parked), so every item cycled PARKED -> PENDING ->
   * PARKED at the release rate, two journal events a cycle, until the tool came back.
   */
  @Test
  void anOperatorReleaseWhileTheToolIsDownReleasesEachParkedItemOnce() throws Exception {
    int items = 10;
    server.close();
    try (Rebound node = start("")) {
      awaitToolState(node, ToolState.DOWN);
      List<String> ids = enqueue(node, items, "{}");
      awaitStatus(node, ids, ItemStatus.PARKED, Duration.ofSeconds(15));
      awaitParkedCount(node, items, Duration.ofSeconds(10));

      assertEquals(items, await(node.releaseParked(TOOL)));
      // 10 items at 20/s are all released within a second; give them two more to settle.
      Thread.sleep(3_000);
      int unparked = TestNodes.eventsInJournal(node, "Unparked");
      assertEquals(items, unparked, "one operator release of " + items + " parked items unparked " + unparked
          + " times in 3s (the tool is down the whole time)");
      awaitStatus(node, ids, ItemStatus.PARKED, Duration.ofSeconds(5));
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static String toolConfig(int port) {
    return """
        rebound.tools.db {
          probe { type = tcp, host = "127.0.0.1", port = %d, interval = 100ms, timeout = 200ms }
          release-rate = 20
        }
        """.formatted(port);
  }

  private Rebound start(String extraQueueSettings) {
    String queues = toolConfig(server.port()) + """
        rebound.queues.work {
          handler.type = simulated
          tools = [db]
          retry { initial = 10ms, jitter = none }
          %s
        }
        """.formatted(extraQueueSettings);
    return Rebound.start(TestNodes.config(dir, queues));
  }

  private static List<String> enqueue(Rebound node, int n, String payload) {
    return enqueue(node, n, payload, 5);
  }

  private static List<String> enqueue(Rebound node, int n, String payload, int priority) {
    List<CompletableFuture<EnqueueResult>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(node.enqueue(QUEUE, EnqueueRequest.builder(payload).priority(priority).build()).toCompletableFuture());
    }
    return all.stream().map(f -> await(f).item().id()).toList();
  }

  private static ItemView status(Rebound node, String id) {
    return await(node.status(id)).orElseThrow(() -> new AssertionError("item lost: " + id));
  }

  /** Inserts, uncommitted, the journal row an item writes next: its write waits until the rollback. */
  private static void holdJournalRow(Connection c, String persistenceId, long sequenceNr) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
            + " \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\")"
            + " VALUES (?, ?, 'test', 0, '', X'00', 0, 'held-by-test')")) {
      st.setString(1, persistenceId);
      st.setLong(2, sequenceNr);
      st.executeUpdate();
    }
  }

  private static List<String> types(List<HistoryEntry> history) {
    return history.stream().map(HistoryEntry::type).toList();
  }

  private static Rebound.ToolStatus tool(Rebound node) {
    return await(node.tools()).stream().filter(t -> t.view().name().equals(TOOL)).findFirst()
        .orElseThrow(() -> new AssertionError("tool " + TOOL + " not listed"));
  }

  private static void awaitToolState(Rebound node, ToolState state) throws InterruptedException {
    waitUntil(() -> tool(node).view().state() == state, Duration.ofSeconds(10),
        () -> "tool never " + state + ": " + tool(node));
  }

  private static void awaitParkedCount(Rebound node, int count, Duration timeout) throws InterruptedException {
    waitUntil(() -> await(node.parked(TOOL, 0)).count() == count, timeout,
        () -> "parked on " + TOOL + ": " + await(node.parked(TOOL, 1000)) + ", wanted " + count);
  }

  private static void awaitStatus(Rebound node, Collection<String> ids, ItemStatus status, Duration timeout)
      throws InterruptedException {
    waitUntil(() -> ids.stream().allMatch(id -> status(node, id).status() == status), timeout, () -> {
      Optional<ItemView> other = ids.stream().map(id -> status(node, id)).filter(v -> v.status() != status).findFirst();
      return "not all " + status + ", e.g. " + other;
    });
  }

  private static void waitUntil(BooleanSupplier condition, Duration timeout, Supplier<String> message) {
    try {
      Awaitility.await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
    } catch (ConditionTimeoutException e) {
      fail("after " + timeout + ": " + message.get());
    }
  }

  /**
   * The tool: a TCP server on 127.0.0.1 that accepts and drops connections (so that the probe's
   * connections never fill its backlog). Closing it makes the port refuse connections.
   */
  private static final class ToolServer {
    private final int port;
    private volatile ServerSocket socket;
    private volatile Thread acceptor;

    ToolServer() throws IOException {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      port = s.getLocalPort();
      serve(s);
    }

    int port() {
      return port;
    }

    synchronized void reopen() throws IOException {
      if (socket != null) {
        return;
      }
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      serve(s);
    }

    synchronized void close() {
      ServerSocket s = socket;
      socket = null;
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
      Thread t = acceptor;
      acceptor = null;
      if (t != null) {
        try {
          t.join(2_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    private void serve(ServerSocket s) {
      socket = s;
      Thread t = new Thread(() -> {
        while (!s.isClosed()) {
          try (Socket c = s.accept()) {
            // accepted: the probe only connects
          } catch (IOException e) {
            // closed
          }
        }
      }, "tool-server-" + port);
      t.setDaemon(true);
      t.start();
      acceptor = t;
    }
  }
}
