package io.rebound.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repro, on an embedded node: a process handler far slower than the attempt timeout.
 * The process table is sampled while the item retries: never two of its processes at once, and
 * none left once the node has stopped.
 */
@DisabledOnOs(OS.WINDOWS)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProcessAttemptsOneAtATimeTest {

  @TempDir Path dir;
  /** The child's argument, unique to this test run, so that the process table shows whose it is. */
  private final String sleep = "29." + (100_000 + new java.util.Random().nextInt(900_000));

  private Path slowScript() throws Exception {
    Path script = dir.resolve("slow.sh");
    // A child of its own (sleep), so that the tree, not only the shell, must go.
    Files.writeString(script, "#!/bin/sh\nsleep " + sleep + "\necho done\n");
    assertTrue(script.toFile().setExecutable(true));
    return script;
  }

  private NodeServer node(Path script, String more) {
    return TestServers.start(dir.resolve("data"), """
        rebound.shutdown-timeout = 2s
        rebound.queues.slow {
          handler { type = process, command = ["%s"] }
          attempt-timeout = 2s
          retry { max-attempts = 4, backoff = exponential, initial = 100ms, jitter = none }
          %s
        }
        """.formatted(script, more));
  }

  /** Processes running the script, and their children (their parent runs it); not the wrapper that guards it. */
  private static List<ProcessHandle> running(Path script) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandler::running)
        .filter(h -> h.info().commandLine().map(c -> c.contains(script.toString()) && !c.contains(" rebound-guard ")).orElse(false))
        .toList();
  }

  /** The scripts' children. */
  private List<ProcessHandle> sleeps() {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandler::running)
        .filter(h -> h.info().commandLine().map(c -> c.endsWith(" " + sleep)).orElse(false))
        .toList();
  }

  @Test
  void a_process_slower_than_the_attempt_timeout_never_runs_twice_at_once_and_is_killed_each_time() throws Exception {
    Path script = slowScript();
    try (NodeServer node = node(script, "")) {
      String id = node.rebound().enqueue("slow", EnqueueRequest.builder("{}").build()).toCompletableFuture()
          .get(30, TimeUnit.SECONDS).item().id();
      int most = 0;
      ItemView v;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      do {
        most = Math.max(most, Math.max(running(script).size(), sleeps().size()));
        Thread.sleep(50);
        v = node.rebound().status(id).toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
      } while (!v.status().isTerminal() && System.nanoTime() < deadline);
      assertEquals(ItemStatus.DEAD_LETTERED, v.status());
      assertEquals(4, v.attempts());
      assertEquals(1, most, "at most one process of the item at a time");
      awaitNone(script);
    }
  }

  @Test
  void stopping_the_node_kills_a_running_handler_process_and_its_children() throws Exception {
    Path script = slowScript();
    NodeServer node = node(script, "attempt-timeout = 1m");
    try {
      node.rebound().enqueue("slow", EnqueueRequest.builder("{}").build()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (sleeps().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(1, running(script).size());
    } finally {
      node.close();
    }
    awaitNone(script);
  }

  private void awaitNone(Path script) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!(running(script).isEmpty() && sleeps().isEmpty()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(List.of(), running(script).stream().map(ProcessHandle::pid).toList(), "scripts left");
    assertEquals(List.of(), sleeps().stream().map(ProcessHandle::pid).toList(), "children left");
  }
}
