package io.rebound.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.item.ItemIds;
import io.rebound.core.item.ItemStatus;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** rebound ls, stats and dlq redrive against a real node with a known workload. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadSideCommandsTest {
  @TempDir static Path dir;
  private static NodeServer node;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestServers.start(dir, """
        rebound.index.group-within = 50ms
        jdbc-read-journal.refresh-interval = 200ms
        rebound.queues.work { handler.type = simulated, retry { max-attempts = 2, initial = 10ms, jitter = none } }
        """);
    // 3 succeed, 2 fail permanently.
    for (int i = 0; i < 5; i++) {
      node.rebound().enqueue("work", EnqueueRequest.builder(i < 3 ? "{}" : "{\"fail\":1,\"kind\":\"PERMANENT\"}").key("k" + i).build())
          .toCompletableFuture().join();
    }
    Awaitility.await("the index shows the workload").atMost(Duration.ofSeconds(60))
        .until(() -> node.rebound().index().stats("work", Instant.now()).toCompletableFuture().join().counts(),
            counts -> counts.get(ItemStatus.DEAD_LETTERED) == 2 && counts.get(ItemStatus.SUCCEEDED) == 3);
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static CliRun cli(String... args) {
    String[] withUrl = new String[args.length + 2];
    System.arraycopy(args, 0, withUrl, 0, args.length);
    withUrl[args.length] = "--url";
    withUrl[args.length + 1] = node.url();
    return CliRun.of(withUrl);
  }

  @Test
  void lsListsTheDeadLettersWithTheirError() {
    CliRun r = cli("ls", "work", "--status", "DEAD_LETTERED");
    assertEquals(0, r.code(), r.toString());
    assertEquals(3, r.out().lines().count(), r.toString());
    assertTrue(r.out().contains("PERMANENT: simulated permanent failure"), r.toString());
  }

  @Test
  void lsPrintsACursorWhenThereIsMore() {
    CliRun first = cli("ls", "work", "--status", "SUCCEEDED", "--limit", "2");
    assertEquals(0, first.code(), first.toString());
    String more = first.out().lines().filter(l -> l.startsWith("More: ")).findFirst().orElseThrow();
    // The hint keeps the filters: the cursor alone would list every status on the next page.
    assertTrue(more.startsWith("More: rebound ls work --status SUCCEEDED --limit 2 --after "), more);
    String cursor = more.substring(more.lastIndexOf(' ') + 1);
    CliRun second = cli("ls", "work", "--status", "SUCCEEDED", "--limit", "2", "--after", cursor);
    // A header and the third succeeded item.
    assertEquals(2, second.out().lines().count(), second.toString());
    assertTrue(second.out().contains("SUCCEEDED"), second.toString());
  }

  @Test
  void lsWithABadStatusPrintsOneLineNamingTheOption() {
    CliRun r = cli("ls", "work", "--status", "DONE");
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.errorLine().contains("--status"), r.toString());
  }

  @Test
  void statsShowsEachQueuesCounts() {
    CliRun r = cli("stats");
    assertEquals(0, r.code(), r.toString());
    String row = r.out().lines().filter(l -> l.startsWith("work ")).findFirst().orElseThrow();
    assertTrue(row.matches("work\\s+0\\s+0\\s+0\\s+0\\s+3\\s+2\\s+0\\s+-\\s+1\\.00\\s+1\\s+no"), row);
  }

  @Test
  @Order(Integer.MAX_VALUE) // it changes the workload the other tests count
  void dlqRedriveSendsBackTheMatchingDeadLetters() throws Exception {
    CliRun none = cli("dlq", "redrive", "work", "--kind", "TIMEOUT");
    assertEquals(0, none.code(), none.toString());
    assertEquals("Redriving 0 dead letters of work at up to 100/s.", none.out().trim());
    CliRun bad = cli("dlq", "redrive", "work", "--max", "0");
    assertEquals(1, bad.code(), bad.toString());
    assertTrue(bad.errorLine().contains("--max"), bad.toString());
    CliRun r = cli("dlq", "redrive", "work", "--kind", "permanent", "--max", "1");
    assertEquals(0, r.code(), r.toString());
    assertEquals("Redriving 1 dead letter of work at up to 100/s.", r.out().trim());
    // Exactly one of the two permanent dead letters was sent back. Both would be sent by the same
    // throttled stream (100/s) at once; the one sent has run and failed again since, so by then the
    // other would show its redrive too.
    String sent = Awaitility.await("one redriven and run to its end again").atMost(Duration.ofSeconds(30))
        .until(() -> java.util.stream.Stream.of("k3", "k4").filter(k -> {
          List<String> types = history(k);
          int redriven = types.indexOf("redriven");
          return redriven >= 0 && Math.max(types.lastIndexOf("dead-lettered"), types.lastIndexOf("succeeded")) > redriven;
        }).findFirst(), java.util.Optional::isPresent).orElseThrow();
    String other = sent.equals("k3") ? "k4" : "k3";
    assertFalse(history(other).contains("redriven"), other + " was redriven too: " + history(other));
  }

  private static List<String> history(String key) {
    return node.rebound().history(ItemIds.forKey("work", key)).toCompletableFuture().join().stream()
        .map(e -> e.type()).toList();
  }
}
