package io.rebound.server.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.server.TestServers;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the packaged node jar as a real process: what `./rebound start` does. */
class NodeProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();
  private static final Path JAR = Path.of("target", "rebound.jar");

  @TempDir Path dir;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Process start(Path config, String name) throws IOException {
    return start(config, name, java.util.Map.of());
  }

  private Process start(Path config, String name, java.util.Map<String, String> env) throws IOException {
    ProcessBuilder b = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString(), "start", "--config", config.toString());
    b.environment().putAll(env);
    return b.directory(dir.toFile())
        .redirectOutput(dir.resolve(name + ".out").toFile())
        .redirectError(dir.resolve(name + ".err").toFile())
        .start();
  }

  private static JsonNode send(String method, String url, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    TestServers.asClient(b, method);
    return JSON.readTree(CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  private static void awaitUp(String base, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      assertTrue(p.isAlive(), "the node exited early with " + (p.isAlive() ? "" : p.exitValue()));
      try {
        send("GET", base + "/v1/queues", null);
        return;
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    throw new AssertionError("the node did not come up");
  }

  @Test
  void sigtermLetsTheRunningAttemptFinishAndExitsZero() throws Exception {
    int port = freePort();
    Path config = dir.resolve("node.conf");
    Files.writeString(config, """
        rebound.data-dir = "%s"
        rebound.http.port = %d
        pekko.management.http.port = %d
        rebound.shutdown-timeout = 15s
        """.formatted(dir.resolve("data").toString().replace("\\", "/"), port, freePort()));
    String base = "http://127.0.0.1:" + port;

    Process node = start(config, "first");
    awaitUp(base, node);
    String id = send("POST", base + "/v1/queues/example/items", "{\"payload\":{\"ms\":2500}}").get("id").asText();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!send("GET", base + "/v1/items/" + id, null).get("status").asText().equals("RUNNING")) {
      assertTrue(System.nanoTime() < deadline, "the attempt never started");
      Thread.sleep(50);
    }
    node.destroy(); // SIGTERM
    assertTrue(node.waitFor(30, TimeUnit.SECONDS), "the node did not stop");
    assertEquals(0, node.exitValue(), Files.readString(dir.resolve("first.err")));

    Process again = start(config, "second");
    try {
      awaitUp(base, again);
      JsonNode item = send("GET", base + "/v1/items/" + id, null);
      assertEquals("SUCCEEDED", item.get("status").asText(), "the attempt finished during the shutdown: " + item);
      assertEquals(1, item.get("attempts").asInt());
    } finally {
      again.destroy();
      again.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Running processes whose command line contains {@code marker} (zombies are not running). */
  private static java.util.List<ProcessHandle> running(String marker) {
    return ProcessHandle.allProcesses()
        .filter(h -> h.isAlive() && !zombie(h))
        .filter(h -> h.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .toList();
  }

  private static boolean zombie(ProcessHandle h) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  @Test
  void aSigkilledNodeLeavesNoHandlerProcessNorItsChildrenRunning() throws Exception {
    int port = freePort();
    // Unique sleep lengths: the test finds the handler's processes by them.
    long child = 3000 + new java.util.Random().nextInt(5000);
    Path script = dir.resolve("slow.sh");
    Files.writeString(script, "#!/bin/sh\nsleep " + child + " &\nsleep " + (child + 1) + "\n");
    script.toFile().setExecutable(true);
    Path config = dir.resolve("node.conf");
    Files.writeString(config, """
        rebound.data-dir = "%s"
        rebound.http.port = %d
        pekko.management.http.port = %d
        rebound.queues.slow { handler { type = process, command = ["%s"] }, attempt-timeout = 10m }
        """.formatted(dir.resolve("data").toString().replace("\\", "/"), port, freePort(), script.toString().replace("\\", "/")));
    String base = "http://127.0.0.1:" + port;
    Process node = start(config, "killed");
    try {
      awaitUp(base, node);
      send("POST", base + "/v1/queues/slow/items", "{\"payload\":{}}");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (running("sleep " + child).isEmpty() || running("sleep " + (child + 1)).isEmpty()) {
        assertTrue(System.nanoTime() < deadline, "the handler and its child never ran");
        Thread.sleep(100);
      }
    } finally {
      node.destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertTrue(node.waitFor(30, TimeUnit.SECONDS));
    }
    // The watchdog polls every second and gives SIGTERM 2 s: 3 s, with room for a loaded machine.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!running("sleep " + child).isEmpty() || !running("sleep " + (child + 1)).isEmpty()
        || !running(script.toString()).isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "left running after the node was killed: "
          + java.util.stream.Stream.of(running("sleep " + child), running("sleep " + (child + 1)), running(script.toString()))
              .flatMap(java.util.List::stream).map(h -> h.pid() + " " + h.info().commandLine().orElse("?")).toList());
      Thread.sleep(100);
    }
  }

  @Test
  void aBadConfigFailsAtStartWithOneLineNamingTheKey() throws Exception {
    Path config = dir.resolve("bad.conf");
    Files.writeString(config, "rebound.queues.example.retry.multiplier = 0.5\n");
    Process node = start(config, "bad");
    assertTrue(node.waitFor(60, TimeUnit.SECONDS));
    assertEquals(1, node.exitValue());
    String err = Files.readString(dir.resolve("bad.err")).lines()
        .filter(l -> !l.startsWith("SLF4J")).reduce("", (a, b) -> a + b + "\n");
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("rebound: config error: rebound.queues.example.retry.multiplier:"), err);
  }

  @Test
  void aMisspelledKeyFailsTheStartWithOneLineNamingTheClosestKnownKey() throws Exception {
    Path config = dir.resolve("typo.conf");
    Files.writeString(config, "rebound.queues.q { handler { type = simulated }, concurency = 4, retry { max-attemps = 2 } }\n");
    Process node = start(config, "typo");
    assertTrue(node.waitFor(60, TimeUnit.SECONDS));
    assertEquals(1, node.exitValue());
    String err = Files.readString(dir.resolve("typo.err")).lines()
        .filter(l -> !l.startsWith("SLF4J")).reduce("", (a, b) -> a + b + "\n");
    assertEquals("rebound: config error: rebound.queues.q.concurency: unknown key (did you mean concurrency?)\n", err);
  }

  @Test
  void environmentVariablesOverrideTheNodesDataDirAndPort() throws Exception {
    int port = freePort();
    Path config = dir.resolve("env.conf");
    Files.writeString(config, "pekko.management.http.port = " + freePort() + "\n");
    Path data = dir.resolve("env-data");
    Process node = start(config, "env", java.util.Map.of(
        "REBOUND_DATA_DIR", data.toString(),
        "REBOUND_HTTP_PORT", String.valueOf(port)));
    try {
      awaitUp("http://127.0.0.1:" + port, node);
      assertTrue(Files.exists(data.resolve("rebound.mv.db")), "the database is not under REBOUND_DATA_DIR");
      assertTrue(Files.readString(dir.resolve("env.out")).contains("data in " + data), Files.readString(dir.resolve("env.out")));
    } finally {
      node.destroy();
      node.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
