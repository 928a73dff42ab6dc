package io.rebound.server;

import com.typesafe.config.ConfigFactory;
import io.rebound.server.node.NodeServer;
import java.net.http.HttpRequest;
import java.nio.file.Path;

/** Starts a node for a test: its own data directory, free ports, and a JVM that survives its shutdown. */
public final class TestServers {
  private TestServers() {}

  /** @param config the test's own HOCON (queues, limits, tokens), layered over the test defaults */
  public static NodeServer start(Path dataDir, String config) {
    // The test's own keys come last, so they win.
    return NodeServer.start(ConfigFactory.parseString("""
        rebound.data-dir = "%s"
        rebound.http.port = 0
        pekko.management.http.port = 0
        pekko.coordinated-shutdown.exit-jvm = off
        """.formatted(dataDir.toString().replace("\\", "/")) + config));
  }

  /**
   * What a well-behaved client (the CLI, the dashboard) sends with a write: JSON, and the header an
   * open node needs (docs/SECURITY.md). Reads get nothing.
   */
  public static HttpRequest.Builder asClient(HttpRequest.Builder b, String method) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      b.header("Content-Type", "application/json").header("X-Rebound-Request", "1");
    }
    return b;
  }
}
