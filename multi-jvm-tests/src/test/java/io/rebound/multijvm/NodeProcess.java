package io.rebound.multijvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One node: the packaged jar run as {@code rebound start} in its own JVM, with fixed ports so that
 * it comes back at the same address after a restart. Its stdout and stderr go to one log file,
 * appended across restarts, kept after the run.
 */
final class NodeProcess {
  static final Path JAR = Path.of(System.getProperty("rebound.jar", "../modules/rebound-server/target/rebound.jar"));

  final String name;
  final int remotePort;
  final int httpPort;
  final int managementPort;
  final Path log;
  private final Path config;
  private final Map<String, String> env;
  private Process process;

  NodeProcess(String name, int remotePort, int httpPort, int managementPort, Path log, Path config, Map<String, String> env) {
    this.name = name;
    this.remotePort = remotePort;
    this.httpPort = httpPort;
    this.managementPort = managementPort;
    this.log = log;
    this.config = config;
    this.env = env;
  }

  void start(List<Integer> seedPorts) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("java",
        // Small and quick to start: several of these share two cores with the build.
        "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-jar", JAR.toAbsolutePath().toString(), "start", "--config", config.toString(),
        "--port", String.valueOf(remotePort), "--http-port", String.valueOf(httpPort),
        "--management-port", String.valueOf(managementPort)));
    for (int seed : seedPorts) {
      cmd.add("--seed");
      cmd.add("127.0.0.1:" + seed);
    }
    Files.writeString(log, "==== " + Instant.now() + " start " + String.join(" ", cmd) + "\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    b.environment().putAll(env);
    process = b.start();
  }

  /** SIGKILL: the JVM dies at once, mid-attempt. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGKILL without waiting, from a shutdown hook. */
  void killQuietly() {
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
    }
  }

  /** SIGTERM, then waits for the graceful shutdown; answers the exit code. */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + " did not stop within 90s of SIGTERM (see " + log + ")");
    }
    return process.exitValue();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  String api() {
    return "http://127.0.0.1:" + httpPort;
  }

  String management() {
    return "http://127.0.0.1:" + managementPort;
  }

  /** The node's own count of attempts it finished (its metrics are per node). */
  long processed() throws IOException, InterruptedException {
    Api.Reply r = Api.get(api() + "/v1/metrics");
    return r.ok() ? r.body().path("processed").asLong() + r.body().path("attemptFailures").asLong() : 0;
  }

  @Override
  public String toString() {
    return name + " (remoting " + remotePort + ", http " + httpPort + ", log " + log + ")";
  }
}
