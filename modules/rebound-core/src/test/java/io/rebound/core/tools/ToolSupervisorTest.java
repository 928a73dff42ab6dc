package io.rebound.core.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.ErrorKind;
import io.rebound.core.config.ToolSettings;
import io.rebound.core.tools.ToolSupervisor.Command;
import io.rebound.core.tools.ToolSupervisor.GetViews;
import io.rebound.core.tools.ToolSupervisor.Outcome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The supervisor against real TCP and HTTP servers that go away and come back: the probe, the
 * handlers' reports and the circuit breaker, as seen through {@link ToolHealth} and {@code onUp}.
 *
 * <p>Outcomes are followed at once by a {@link GetViews}: the supervisor handles them in order, so
 * the reply shows the state right after the outcomes, before the next probe can change it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolSupervisorTest {

  @RegisterExtension static final TestKitJUnit5Extension extension = new TestKitJUnit5Extension();

  @JUnit5TestKit final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private static final Duration INTERVAL = Duration.ofMillis(100);
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(300);
  private static final Duration WAIT = Duration.ofSeconds(5);

  private final ExecutorService probeExecutor = Executors.newCachedThreadPool();
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
    cleanup.clear();
  }

  @AfterAll
  void stopExecutor() {
    probeExecutor.shutdownNow();
  }

  // ---------------------------------------------------------------- fixtures

  /** A TCP listener on 127.0.0.1 that accepts (and closes) connections, and can stop and start again on its port. */
  private static final class TcpServer implements AutoCloseable {
    final int port;
    private ServerSocket socket;
    private Thread acceptor;

    TcpServer() throws IOException {
      try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      start();
    }

    synchronized void start() throws IOException {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
      socket = s;
      // Accept, or the backlog fills up with the probe's connections and later probes hang.
      acceptor = new Thread(() -> {
        while (!s.isClosed()) {
          try (Socket c = s.accept()) {
            // nothing to say
          } catch (IOException e) {
            // closed
          }
        }
      }, "tcp-server-" + port);
      acceptor.setDaemon(true);
      acceptor.start();
    }

    synchronized void stop() throws Exception {
      if (socket != null) {
        socket.close();
        acceptor.join(2_000);
        socket = null;
      }
    }

    @Override
    public void close() throws Exception {
      stop();
    }
  }

  /** An HTTP server whose /health answers with a status the test sets. */
  private static final class Http implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger status = new AtomicInteger(200);

    Http() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/health", ex -> {
        ex.sendResponseHeaders(status.get(), -1);
        ex.close();
      });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/health";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private final class Node {
    final ToolHealth health;
    final List<String> ups = new CopyOnWriteArrayList<>();
    final ActorRef<Command> supervisor;
    final TestProbe<List<ToolView>> views = testKit.createTestProbe();
    /** Probes run to the end: each is one task, whose result is on its way to the supervisor when counted. */
    final AtomicInteger probes = new AtomicInteger();

    Node(ToolSettings... tools) {
      Map<String, ToolSettings> settings = new LinkedHashMap<>();
      for (ToolSettings t : tools) {
        settings.put(t.name(), t);
      }
      health = new ToolHealth(settings.keySet());
      Executor counted = task -> probeExecutor.execute(() -> {
        try {
          task.run();
        } finally {
          probes.incrementAndGet();
        }
      });
      supervisor = testKit.spawn(ToolSupervisor.create(settings, health, counted, ups::add, Clock.systemUTC()));
      cleanup.add(() -> testKit.stop(supervisor));
    }

    void tell(String tool, ErrorKind kind, String message) {
      supervisor.tell(new Outcome(List.of(tool), kind, message));
    }

    /** The views as the supervisor has them after every message sent before. */
    List<ToolView> views() {
      supervisor.tell(new GetViews(views.ref()));
      return views.receiveMessage(Duration.ofSeconds(3));
    }

    ToolView view(String tool) {
      return views().stream().filter(v -> v.name().equals(tool)).findFirst().orElseThrow();
    }

    ToolView await(String tool, String what, Predicate<ToolView> condition) {
      return Awaitility.await("tool " + tool + " " + what).atMost(WAIT).pollInterval(Duration.ofMillis(10))
          .until(() -> health.get(tool), condition::test);
    }

    ToolView awaitState(String tool, ToolState state) {
      return await(tool, state.toString(), v -> v.state() == state);
    }

    /**
     * Returns once {@code count} more probes ran and the supervisor handled their results, for
     * tests that check that nothing changes: counted, not slept for.
     */
    void letProbesRun(int count) {
      int target = probes.get() + count;
      Awaitility.await(count + " more probes").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> probes.get() >= target);
      views();
    }
  }

  private static ToolSettings tool(String name, Config probe, int breakerMaxFailures) {
    return new ToolSettings(name, probe, INTERVAL, PROBE_TIMEOUT, 50, breakerMaxFailures);
  }

  private static ToolSettings tcpTool(String name, int port, int breakerMaxFailures) {
    return tool(name, ConfigFactory.parseMap(Map.of("type", "tcp", "host", "127.0.0.1", "port", port)), breakerMaxFailures);
  }

  private static ToolSettings httpTool(String name, String url) {
    return tool(name, ConfigFactory.parseMap(Map.of("type", "http", "url", url)), 5);
  }

  private TcpServer tcpServer() throws IOException {
    TcpServer s = new TcpServer();
    cleanup.add(s);
    return s;
  }

  // ---------------------------------------------------------------- probe

  @Test
  void toolGoesFromUnknownToUpAndOnUpIsCalled() throws Exception {
    Http server = new Http();
    cleanup.add(server);
    ToolSettings settings = httpTool("parser", server.url());
    ToolHealth before = new ToolHealth(List.of("parser"));
    assertEquals(ToolState.UNKNOWN, before.get("parser").state());

    Node node = new Node(settings);
    ToolView up = node.awaitState("parser", ToolState.UP);
    assertNull(up.lastError());
    assertFalse(up.breakerOpen());
    assertNotNull(up.since());
    assertTrue(node.health.isUp("parser"));
    assertEquals(List.of(), node.health.down(List.of("parser")));

    node.letProbesRun(3);
    assertEquals(List.of("parser"), node.ups, "onUp is called once, when the tool comes up");
    assertEquals(up.since(), node.health.get("parser").since(), "since does not move while the tool stays up");
  }

  @Test
  void goesDownWhenTheServerStopsWithTheProbesError() throws Exception {
    TcpServer server = tcpServer();
    ToolSettings settings = tcpTool("db", server.port, 5);
    Node node = new Node(settings);
    node.awaitState("db", ToolState.UP);

    server.stop();
    ToolView down = node.awaitState("db", ToolState.DOWN);

    // The same probe, run here, fails with the error that the view carries.
    Exception probeError = assertThrows(Exception.class, () -> Probes.create(settings, java.time.Instant::now).check());
    assertEquals(probeError.getMessage(), down.lastError());
    assertFalse(down.breakerOpen());
    assertEquals(List.of("db"), node.health.down(List.of("db", "other")));
    assertFalse(node.health.isUp("db"));
    assertEquals(List.of("db"), node.ups, "going down does not call onUp");
  }

  @Test
  void goesDownWhenTheHttpToolAnswersWithAnError() throws Exception {
    Http server = new Http();
    cleanup.add(server);
    Node node = new Node(httpTool("api", server.url()));
    node.awaitState("api", ToolState.UP);

    server.status.set(503);
    ToolView down = node.awaitState("api", ToolState.DOWN);
    assertNotNull(down.lastError());
    assertTrue(down.lastError().contains("503"), down.lastError());

    server.status.set(200);
    node.awaitState("api", ToolState.UP);
    assertEquals(List.of("api", "api"), node.ups);
  }

  @Test
  void aProbeSlowerThanTheTimeoutMarksTheToolDown() throws Exception {
    HttpServer slow = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService slowThreads = Executors.newCachedThreadPool();
    slow.setExecutor(slowThreads);
    slow.createContext("/health", ex -> {
      try {
        Thread.sleep(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    slow.start();
    cleanup.add(slowThreads::shutdownNow);
    cleanup.add(() -> slow.stop(0));

    Node node = new Node(httpTool("slow", "http://127.0.0.1:" + slow.getAddress().getPort() + "/health"));
    ToolView down = node.awaitState("slow", ToolState.DOWN);
    assertNotNull(down.lastError());
    assertEquals(List.of(), node.ups);
  }

  @Test
  void comesBackUpWhenTheServerReturnsAndOnUpIsCalledAgain() throws Exception {
    TcpServer server = tcpServer();
    Node node = new Node(tcpTool("db", server.port, 5));
    node.awaitState("db", ToolState.UP);
    assertEquals(List.of("db"), node.ups);

    server.stop();
    ToolView down = node.awaitState("db", ToolState.DOWN);
    node.letProbesRun(3);
    assertEquals(List.of("db"), node.ups);
    assertEquals(down.since(), node.health.get("db").since(), "since does not move while the tool stays down");

    server.start();
    ToolView up = node.awaitState("db", ToolState.UP);
    assertNull(up.lastError());
    assertFalse(up.since().isBefore(down.since()));
    node.letProbesRun(3);
    assertEquals(List.of("db", "db"), node.ups, "onUp is called on each transition to UP, and only then");
  }

  // ---------------------------------------------------------------- handlers' reports

  @Test
  void aToolUnavailableOutcomeMarksTheToolDownUntilTheNextGoodProbe() throws Exception {
    TcpServer server = tcpServer();
    Node node = new Node(tcpTool("t", server.port, 5));
    node.awaitState("t", ToolState.UP);

    node.tell("t", ErrorKind.TOOL_UNAVAILABLE, "no parser");
    ToolView down = node.view("t");
    assertEquals(ToolState.DOWN, down.state());
    assertNotNull(down.lastError());
    assertTrue(down.lastError().contains("no parser"), down.lastError());
    assertFalse(down.breakerOpen());

    ToolView up = node.awaitState("t", ToolState.UP);
    assertNull(up.lastError());
    assertEquals(List.of("t", "t"), node.ups);
  }

  @Test
  void withEncryptionOnTheLogNamesTheToolButNotTheHandlersMessage() throws Exception {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    ch.qos.logback.classic.Logger pekko = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.pekko");
    ch.qos.logback.classic.Level pekkoLevel = pekko.getLevel();
    pekko.setLevel(ch.qos.logback.classic.Level.INFO);
    java.nio.file.Path key = java.nio.file.Files.createTempFile("rebound-test", ".key");
    byte[] bytes = new byte[32];
    new java.security.SecureRandom().nextBytes(bytes);
    java.nio.file.Files.writeString(key, java.util.Base64.getEncoder().encodeToString(bytes));
    cleanup.add(() -> java.nio.file.Files.deleteIfExists(key));
    ActorTestKit encrypted = ActorTestKit.create("encrypted", ConfigFactory.parseString(
        "rebound.encryption.key-file = \"" + key.toString().replace("\\", "/") + "\"").withFallback(testKit.system().settings().config()));
    try {
      TcpServer server = tcpServer();
      ToolSettings t = tcpTool("t", server.port, 5);
      ToolHealth health = new ToolHealth(List.of("t"));
      ActorRef<Command> supervisor = encrypted.spawn(ToolSupervisor.create(Map.of("t", t), health, probeExecutor, n -> {}, Clock.systemUTC()));
      Awaitility.await("t up").atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> health.get("t").state() == ToolState.UP);
      supervisor.tell(new Outcome(List.of("t"), ErrorKind.TOOL_UNAVAILABLE, "cannot parse {\"ssn\":\"078-05-1120\"}"));
      Awaitility.await("a DOWN line").atMost(WAIT).pollInterval(Duration.ofMillis(10))
          .until(() -> logged.list.stream().anyMatch(e -> e.getFormattedMessage().contains("DOWN")));
      String down = logged.list.stream().map(e -> e.getFormattedMessage()).filter(m -> m.contains("DOWN")).findFirst()
          .orElseThrow(() -> new AssertionError(health.get("t") + " " + logged.list.stream().map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).toList()));
      assertTrue(down.startsWith("Tool t is DOWN: a handler reported it unavailable: (encrypted"), down);
      assertFalse(logged.list.stream().anyMatch(e -> e.getFormattedMessage().contains("078-05-1120")), String.valueOf(logged.list));
    } finally {
      encrypted.shutdownTestKit();
      logger.detachAppender(logged);
      pekko.setLevel(pekkoLevel);
    }
  }

  @Test
  void otherOutcomesDoNotMarkTheToolDown() throws Exception {
    TcpServer server = tcpServer();
    Node node = new Node(tcpTool("t", server.port, 2));
    node.awaitState("t", ToolState.UP);

    node.tell("t", ErrorKind.PERMANENT, "bad input");
    node.tell("t", ErrorKind.PERMANENT, "bad input");
    node.tell("t", ErrorKind.PERMANENT, "bad input");
    node.tell("t", null, null);
    ToolView v = node.view("t");
    assertEquals(ToolState.UP, v.state());
    assertFalse(v.breakerOpen());
  }

  // ---------------------------------------------------------------- circuit breaker

  @Test
  void circuitBreakerOpensAfterTransientFailuresInARowAndTheProbeClosesIt() throws Exception {
    TcpServer server = tcpServer();
    Node node = new Node(tcpTool("t", server.port, 3));
    node.awaitState("t", ToolState.UP);

    node.tell("t", ErrorKind.TRANSIENT, "boom 1");
    node.tell("t", ErrorKind.TRANSIENT, "boom 2");
    assertEquals(ToolState.UP, node.view("t").state(), "two failures do not open the breaker");
    node.tell("t", ErrorKind.TRANSIENT, "boom 3");
    ToolView open = node.view("t");
    assertEquals(ToolState.DOWN, open.state());
    assertTrue(open.breakerOpen());
    assertNotNull(open.lastError());
    assertTrue(open.lastError().contains("boom 3"), open.lastError());

    // The probe is healthy: within a couple of intervals it closes the breaker.
    ToolView closed = node.await("t", "UP with the breaker closed", v -> v.state() == ToolState.UP && !v.breakerOpen());
    assertNull(closed.lastError());
    assertEquals(List.of("t", "t"), node.ups);
  }

  @Test
  void timeoutsAndOrphansCountForTheBreakerToo() throws Exception {
    TcpServer server = tcpServer();
    Node node = new Node(tcpTool("t", server.port, 3));
    node.awaitState("t", ToolState.UP);

    node.tell("t", ErrorKind.TIMEOUT, "slow");
    node.tell("t", ErrorKind.ORPHANED, "node died");
    node.tell("t", ErrorKind.TRANSIENT, "boom");
    ToolView open = node.view("t");
    assertEquals(ToolState.DOWN, open.state());
    assertTrue(open.breakerOpen());
  }

  @Test
  void aSuccessInBetweenResetsTheBreakersCount() throws Exception {
    TcpServer server = tcpServer();
    Node node = new Node(tcpTool("t", server.port, 3));
    node.awaitState("t", ToolState.UP);

    node.tell("t", ErrorKind.TRANSIENT, "boom");
    node.tell("t", ErrorKind.TRANSIENT, "boom");
    node.tell("t", null, null);
    node.tell("t", ErrorKind.TRANSIENT, "boom");
    node.tell("t", ErrorKind.TRANSIENT, "boom");
    ToolView v = node.view("t");
    assertEquals(ToolState.UP, v.state());
    assertFalse(v.breakerOpen());

    // ...and it still counts: one more makes three in a row.
    node.tell("t", ErrorKind.TRANSIENT, "boom");
    ToolView open = node.view("t");
    assertEquals(ToolState.DOWN, open.state());
    assertTrue(open.breakerOpen());
  }

  /**
   * The breaker counts transient failures in a row of the items that need the tool; a good probe is
   * not an item's success, and is meant to close an open breaker, not to forget a closed one's count.
   */
  @Test
  void goodProbesInBetweenDoNotResetTheBreakersCount() throws Exception {
    TcpServer server = tcpServer();
    Node node = new Node(tcpTool("t", server.port, 3));
    node.awaitState("t", ToolState.UP);

    for (int i = 1; i <= 3; i++) {
      node.tell("t", ErrorKind.TRANSIENT, "boom " + i);
      if (i < 3) {
        node.letProbesRun(3);
      }
    }
    ToolView v = node.view("t");
    assertEquals(ToolState.DOWN, v.state(), "three transient failures in a row, with good probes in between: " + v);
    assertTrue(v.breakerOpen());
  }

  // ---------------------------------------------------------------- the rest

  @Test
  void outcomesForUnknownToolsAreIgnored() throws Exception {
    TcpServer server = tcpServer();
    Node node = new Node(tcpTool("t", server.port, 1));
    node.awaitState("t", ToolState.UP);

    for (ErrorKind kind : new ErrorKind[] {ErrorKind.TRANSIENT, ErrorKind.TOOL_UNAVAILABLE, ErrorKind.TIMEOUT, null}) {
      node.tell("ghost", kind, "who?");
    }
    List<ToolView> views = node.views();
    assertEquals(List.of("t"), views.stream().map(ToolView::name).toList());
    assertEquals(ToolState.UP, views.get(0).state());
    assertFalse(node.health.knows("ghost"));
    assertNull(node.health.get("ghost"));

    // An unknown tool next to a known one does not stop the known one from being handled.
    node.supervisor.tell(new Outcome(List.of("ghost", "t"), ErrorKind.TOOL_UNAVAILABLE, "no parser"));
    assertEquals(ToolState.DOWN, node.view("t").state());
    assertFalse(node.health.knows("ghost"));
  }

  @Test
  void getViewsReturnsEveryToolsView() throws Exception {
    TcpServer server = tcpServer();
    int nothingThere;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      nothingThere = s.getLocalPort();
    }
    Http http = new Http();
    cleanup.add(http);
    Node node = new Node(tcpTool("b-db", server.port, 5), tcpTool("c-gone", nothingThere, 5), httpTool("a-api", http.url()));
    node.awaitState("a-api", ToolState.UP);
    node.awaitState("b-db", ToolState.UP);
    node.awaitState("c-gone", ToolState.DOWN);

    List<ToolView> views = node.views();
    assertEquals(List.of("a-api", "b-db", "c-gone"), views.stream().map(ToolView::name).toList());
    assertEquals(List.of(ToolState.UP, ToolState.UP, ToolState.DOWN), views.stream().map(ToolView::state).toList());
    assertNotNull(views.get(2).lastError());
    assertEquals(node.health.all(), views);
    assertEquals(List.of("c-gone"), node.health.down(List.of("a-api", "b-db", "c-gone")));
  }
}
