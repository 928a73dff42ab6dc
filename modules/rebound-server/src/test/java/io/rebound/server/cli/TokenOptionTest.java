package io.rebound.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a node with tokens: --token (or REBOUND_TOKEN) is sent as a bearer token. */
class TokenOptionTest {
  private static final String OPERATOR = "cli-operator-token-0123456789";
  private static final String VIEWER = "cli-viewer-token-0123456789";

  @TempDir static Path dir;
  private static NodeServer node;

  @BeforeAll
  static void startNode() {
    node = TestServers.start(dir.resolve("data"), """
        rebound.http.auth.tokens = [{ token = "%s", role = operator }, { token = "%s", role = viewer }]
        rebound.queues.work { handler.type = simulated }
        """.formatted(OPERATOR, VIEWER));
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aCommandWithTheTokenIsServed() {
    CliRun r = CliRun.of("enqueue", "work", "--payload", "{}", "--url", node.url(), "--token", OPERATOR);
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("created"), r.toString());
  }

  @Test
  void withoutATokenTheErrorSaysHowToGiveOne() {
    CliRun r = CliRun.of("queues", "--url", node.url());
    assertNotEquals(0, r.code(), r.toString());
    assertTrue(r.errorLine().contains("--token") && r.errorLine().contains("REBOUND_TOKEN"), r.toString());
  }

  @Test
  void aRoleThatMayNotIsTold403() {
    CliRun r = CliRun.of("pause", "work", "--url", node.url(), "--token", VIEWER);
    assertNotEquals(0, r.code(), r.toString());
    assertTrue(r.errorLine().contains("operator role"), r.toString());
  }
}
