package io.rebound.core.tools;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.ToolProbe;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.config.ToolSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Each kind of probe against the real thing (an HTTP server, a TCP listener, a class, a clock) and
 * the configuration errors of each, without an actor system.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProbesTest {

  // Generous for a cold first HTTP call on a busy 2-core machine; /slow takes 3 s.
  private static final Duration TIMEOUT = Duration.ofMillis(1_000);

  private final ExecutorService serverThreads = Executors.newCachedThreadPool();
  private HttpServer http;
  private String base;

  @BeforeAll
  void startHttpServer() throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/ok", ex -> {
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    http.createContext("/no-content", ex -> {
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    http.createContext("/unavailable", ex -> {
      ex.sendResponseHeaders(503, -1);
      ex.close();
    });
    http.createContext("/slow", ex -> {
      try {
        Thread.sleep(3_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    http.setExecutor(serverThreads);
    http.start();
    base = "http://127.0.0.1:" + http.getAddress().getPort();
  }

  @AfterAll
  void stopHttpServer() {
    http.stop(0);
    serverThreads.shutdownNow();
  }

  // ---------------------------------------------------------------- helpers

  private static ToolSettings tool(Config probe) {
    return new ToolSettings("t", probe, Duration.ofMillis(100), TIMEOUT, 50, 3);
  }

  private static ToolProbe probe(Config probe) {
    return Probes.create(tool(probe), Instant::now);
  }

  private static ToolProbe probe(String hocon) {
    return probe(ConfigFactory.parseString(hocon));
  }

  private static ToolProbe httpProbe(String url) {
    return probe(ConfigFactory.parseMap(Map.of("type", "http", "url", url)));
  }

  private static ToolProbe tcpProbe(int port) {
    return probe(ConfigFactory.parseMap(Map.of("type", "tcp", "host", "127.0.0.1", "port", port)));
  }

  private static void assertConfigError(String key, String hocon) {
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> probe(hocon), hocon);
    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
  }

  /** A port that nothing listens on (bound once to get a free one, then closed). */
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  // ---------------------------------------------------------------- http

  @Test
  void httpIsUpOn200() {
    assertDoesNotThrow(() -> httpProbe(base + "/ok").check());
  }

  @Test
  void httpIsUpOnAny2xx() {
    assertDoesNotThrow(() -> httpProbe(base + "/no-content").check());
  }

  @Test
  void httpIsDownOn503AndSaysSo() {
    Exception e = assertThrows(Exception.class, () -> httpProbe(base + "/unavailable").check());
    assertTrue(e.getMessage().contains("503"), e.getMessage());
  }

  @Test
  void httpIsDownWhenTheServerIsStopped() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/ok", ex -> {
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.start();
    ToolProbe probe = httpProbe("http://127.0.0.1:" + server.getAddress().getPort() + "/ok");
    assertDoesNotThrow(probe::check);
    server.stop(0);
    assertThrows(Exception.class, probe::check);
  }

  @Test
  void httpIsDownWhenTheAnswerTakesLongerThanTheTimeout() {
    ToolProbe probe = httpProbe(base + "/slow");
    long start = System.nanoTime();
    assertThrows(Exception.class, probe::check);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertTrue(took.compareTo(Duration.ofMillis(2_500)) < 0, "the probe waited for the slow answer: " + took);
  }

  // ---------------------------------------------------------------- tcp

  @Test
  void tcpIsUpWhileSomethingListensAndDownOnceItIsClosed() throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    ToolProbe probe = tcpProbe(server.getLocalPort());
    try {
      assertDoesNotThrow(probe::check);
    } finally {
      server.close();
    }
    assertThrows(Exception.class, probe::check);
  }

  @Test
  void tcpIsDownWhenNothingListens() throws IOException {
    assertThrows(Exception.class, tcpProbe(freePort())::check);
  }

  // ---------------------------------------------------------------- java

  /** A probe class as a user would write it. */
  public static final class UpProbe implements ToolProbe {
    public UpProbe() {}

    @Override
    public void check() {}
  }

  public static final class DownProbe implements ToolProbe {
    public DownProbe() {}

    @Override
    public void check() throws Exception {
      throw new IOException("the parser is gone");
    }
  }

  public static final class NotAProbe {
    public NotAProbe() {}
  }

  public static final class ProbeWithoutNoArgConstructor implements ToolProbe {
    public ProbeWithoutNoArgConstructor(String ignored) {}

    @Override
    public void check() {}
  }

  @Test
  void javaCreatesTheClassAndRunsItsCheck() {
    ToolProbe up = probe("type = java, class = \"" + UpProbe.class.getName() + "\"");
    assertInstanceOf(UpProbe.class, up);
    assertDoesNotThrow(up::check);

    ToolProbe down = probe("type = java, class = \"" + DownProbe.class.getName() + "\"");
    Exception e = assertThrows(Exception.class, down::check);
    assertEquals("the parser is gone", e.getMessage());
  }

  @Test
  void javaRejectsAClassThatIsNotAToolProbe() {
    assertConfigError("probe.class", "type = java, class = \"" + NotAProbe.class.getName() + "\"");
  }

  @Test
  void javaRejectsAMissingClass() {
    assertConfigError("probe.class", "type = java, class = \"io.rebound.core.tools.NoSuchProbe\"");
  }

  @Test
  void javaRejectsAClassWithoutANoArgConstructor() {
    assertConfigError("probe.class", "type = java, class = \"" + ProbeWithoutNoArgConstructor.class.getName() + "\"");
  }

  @Test
  void javaNeedsAClass() {
    assertConfigError("probe.class", "type = java");
  }

  // ---------------------------------------------------------------- simulated

  @Test
  void simulatedIsDownFromDownAfterForDownFor() throws Exception {
    Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
    AtomicReference<Instant> now = new AtomicReference<>(t0);
    Supplier<Instant> clock = now::get;
    ToolProbe probe = Probes.create(
        tool(ConfigFactory.parseString("type = simulated, down-after = 10s, down-for = 5s")), clock);

    probe.check();
    now.set(t0.plusMillis(9_999));
    probe.check();

    now.set(t0.plusSeconds(10));
    Exception e = assertThrows(Exception.class, probe::check);
    assertTrue(e.getMessage().contains("simulated"), e.getMessage());
    now.set(t0.plusMillis(14_999));
    assertThrows(Exception.class, probe::check);

    now.set(t0.plusSeconds(15));
    probe.check();
    now.set(t0.plusSeconds(3_600));
    probe.check();
  }

  @Test
  void simulatedCountsFromWhenItWasCreated() throws Exception {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2030-06-01T12:00:00Z"));
    ToolProbe probe = Probes.create(
        tool(ConfigFactory.parseString("type = simulated, down-after = 1s, down-for = 1s")), now::get);
    probe.check();
    now.set(now.get().plusMillis(1_500));
    assertThrows(Exception.class, probe::check);
  }

  // ---------------------------------------------------------------- config errors

  @Test
  void httpNeedsAUrl() {
    assertConfigError("probe.url", "type = http");
  }

  @Test
  void httpRejectsARelativeUrl() {
    assertConfigError("probe.url", "type = http, url = \"/health\"");
    assertConfigError("probe.url", "type = http, url = \"127.0.0.1:8080/health\"");
  }

  @Test
  void httpRejectsAUrlThatIsNotOne() {
    assertConfigError("probe.url", "type = http, url = \"http://exa mple/\"");
    assertConfigError("probe.url", "type = http, url = \"ftp://example.com/\"");
  }

  /**
   * Probes.uri accepts any scheme that merely starts with "http"; the JDK's HttpRequest then rejects
   * it with an IllegalArgumentException instead of a ReboundConfigException naming the key.
   */
  @Test
  void httpRejectsASchemeThatOnlyStartsWithHttp() {
    assertConfigError("probe.url", "type = http, url = \"httpx://example.com/health\"");
  }

  @Test
  void tcpNeedsHostAndPort() {
    assertConfigError("probe.host", "type = tcp, port = 80");
    assertConfigError("probe.port", "type = tcp, host = localhost");
    assertConfigError("probe.host", "type = tcp");
  }

  @Test
  void tcpRejectsAPortOutOfRange() {
    assertConfigError("probe.port", "type = tcp, host = localhost, port = 0");
    assertConfigError("probe.port", "type = tcp, host = localhost, port = -1");
    assertConfigError("probe.port", "type = tcp, host = localhost, port = 65536");
  }

  /** p.getInt("port") throws typesafe's ConfigException.WrongType, which Probes does not translate. */
  @Test
  void tcpRejectsAPortThatIsNotANumber() {
    assertConfigError("probe.port", "type = tcp, host = localhost, port = eighty");
  }

  @Test
  void anUnknownOrMissingTypeIsAConfigError() {
    assertConfigError("probe.type", "type = ftp, url = \"ftp://example.com\"");
    assertConfigError("probe.type", "url = \"http://example.com\"");
  }
}
