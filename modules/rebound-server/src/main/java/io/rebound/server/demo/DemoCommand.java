package io.rebound.server.demo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.ErrorKind;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.item.ItemIds;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemTransition;
import io.rebound.core.item.ItemView;
import io.rebound.server.node.ConfigLoader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rebound demo}: an embedded node on H2 runs a mixed workload (most items succeed at once,
 * some fail transiently, some permanently, some exhaust their attempts, some are parked because a
 * tool is unavailable) with a live progress line, then prints a summary by final status and
 * attempts. Each run is numbered; the next run first checks that the last run's items are all
 * still in ./data.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run a mixed demo workload on an embedded node.")
public final class DemoCommand implements java.util.concurrent.Callable<Integer> {
  private static final String QUEUE = "demo";
  /** Every tenth item goes to this queue, whose tool is down for a few seconds. */
  private static final String TOOL_QUEUE = "demo-tools";
  private static final int MAX_IN_FLIGHT = 2_000;

  @Option(names = "--items", description = "Items to enqueue (default ${DEFAULT-VALUE}).", defaultValue = "10000")
  int items;

  @Option(names = "--config", description = "A config file layered over the demo's defaults.")
  Path config;

  @Option(names = "--timeout", description = "Give up after this many seconds (default ${DEFAULT-VALUE}).", defaultValue = "600")
  int timeoutSeconds;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    if (items < 1 || items > 1_000_000) {
      throw new IllegalArgumentException("--items must be between 1 and 1000000, was " + items);
    }
    Config cfg = ConfigLoader.load(config, ConfigFactory.parseResources("demo.conf"));
    try (Rebound node = Rebound.start(cfg)) {
      out.println("Rebound demo: data in " + node.settings().dataDir());
      int run = previousRuns(node) + 1;
      if (run > 1) {
        reportPreviousRun(node, run - 1);
      }
      return runWorkload(node, run);
    }
  }

  private static String key(int run, int i) {
    return "run-" + run + "-" + i;
  }

  static String queueOf(int i) {
    return i % 10 == 5 ? TOOL_QUEUE : QUEUE;
  }

  private static String id(int run, int i) {
    return ItemIds.forKey(queueOf(i), key(run, i));
  }

  private int previousRuns(Rebound node) {
    int run = 0;
    while (node.status(id(run + 1, 0)).toCompletableFuture().join().isPresent()) {
      run++;
    }
    return run;
  }

  /** Shows that the last run's items survived the restart, each in its final state. */
  private void reportPreviousRun(Rebound node, int run) {
    ItemView first = node.status(id(run, 0)).toCompletableFuture().join().orElseThrow();
    int total = totalOf(first.payload());
    Map<ItemStatus, Integer> counts = new EnumMap<>(ItemStatus.class);
    int missing = 0;
    List<CompletableFuture<Optional<ItemView>>> views = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      views.add(node.status(id(run, i)).toCompletableFuture());
    }
    for (CompletableFuture<Optional<ItemView>> v : views) {
      Optional<ItemView> item = v.join();
      if (item.isEmpty()) {
        missing++;
      } else {
        counts.merge(item.get().status(), 1, Integer::sum);
      }
    }
    out.printf("Found run %d in the database: %,d of its %,d items are still there (%s)%s%n",
        run, total - missing, total, counts, missing == 0 ? "" : " — " + missing + " MISSING");
  }

  private static int totalOf(String payload) {
    int at = payload.indexOf("\"total\":");
    if (at < 0) {
      return 1;
    }
    int end = at + 8;
    while (end < payload.length() && Character.isDigit(payload.charAt(end))) {
      end++;
    }
    return Integer.parseInt(payload.substring(at + 8, end));
  }

  /** The mix: 80% succeed at once, 10% fail transiently 1-3 times, 5% permanently, 3% exhaust, 2% parked once. */
  static String payload(int i, int total, Random random) {
    int bucket = i % 100;
    String body;
    if (bucket < 80) {
      body = "\"ms\":" + random.nextInt(4);
    } else if (bucket < 90) {
      body = "\"fail\":" + (1 + i % 3) + ",\"kind\":\"TRANSIENT\"";
    } else if (bucket < 95) {
      body = "\"fail\":1,\"kind\":\"PERMANENT\"";
    } else if (bucket < 98) {
      body = "\"fail\":100,\"kind\":\"TRANSIENT\"";
    } else {
      body = "\"fail\":1,\"kind\":\"TOOL_UNAVAILABLE\"";
    }
    return "{" + body + ",\"total\":" + total + "}";
  }

  private int runWorkload(Rebound node, int run) throws InterruptedException {
    Set<String> ids = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < items; i++) {
      ids.add(id(run, i));
    }
    Map<String, ItemTransition> latest = new ConcurrentHashMap<>();
    Set<String> everParked = ConcurrentHashMap.newKeySet();
    node.onTransition(t -> {
      if (ids.contains(t.id())) {
        latest.put(t.id(), t);
        if (t.status() == ItemStatus.PARKED) {
          everParked.add(t.id());
        }
      }
    });

    out.printf("Run %d: enqueueing %,d items into queues '%s' and '%s' (its tool goes down for a while)%n", run, items, QUEUE, TOOL_QUEUE);
    long start = System.nanoTime();
    Random random = new Random(run);
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    for (int i = 0; i < items; i++) {
      inFlight.acquire();
      EnqueueRequest request = EnqueueRequest.builder(payload(i, items, random)).key(key(run, i)).priority(random.nextInt(10)).build();
      node.enqueue(queueOf(i), request).whenComplete((r, e) -> {
        inFlight.release();
        if (e != null) {
          System.err.println("enqueue failed: " + e);
        }
      });
    }

    boolean tty = System.console() != null;
    long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    long lastLine = 0;
    int done = 0;
    while (true) {
      Map<ItemStatus, Integer> now = countStatuses(latest);
      done = now.getOrDefault(ItemStatus.SUCCEEDED, 0) + now.getOrDefault(ItemStatus.DEAD_LETTERED, 0) + now.getOrDefault(ItemStatus.CANCELLED, 0);
      double seconds = (System.nanoTime() - start) / 1e9;
      String line = String.format("%,7d/%,d done  %,6.0f items/s  running %,d  waiting %,d  parked %,d  dead-lettered %,d",
          done, items, done / seconds, now.getOrDefault(ItemStatus.RUNNING, 0), now.getOrDefault(ItemStatus.WAITING, 0),
          now.getOrDefault(ItemStatus.PARKED, 0), now.getOrDefault(ItemStatus.DEAD_LETTERED, 0));
      boolean finished = done == items;
      if (tty) {
        out.print("\r" + line);
      } else if (finished || System.nanoTime() - lastLine > TimeUnit.SECONDS.toNanos(2)) {
        out.println(line);
        lastLine = System.nanoTime();
      }
      if (finished || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(250);
    }
    if (tty) {
      out.println();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    printSummary(latest, everParked.size(), seconds);
    if (done < items) {
      out.printf("Timed out after %ds with %,d items not finished; they stay in ./data and resume on the next start.%n", timeoutSeconds, items - done);
      return 1;
    }
    return 0;
  }

  private static Map<ItemStatus, Integer> countStatuses(Map<String, ItemTransition> latest) {
    Map<ItemStatus, Integer> counts = new EnumMap<>(ItemStatus.class);
    latest.values().forEach(t -> counts.merge(t.status(), 1, Integer::sum));
    return counts;
  }

  private void printSummary(Map<String, ItemTransition> latest, int parked, double seconds) {
    Map<ItemStatus, TreeMap<Integer, Integer>> table = new EnumMap<>(ItemStatus.class);
    Map<ErrorKind, Integer> deadKinds = new EnumMap<>(ErrorKind.class);
    int maxAttempts = 1;
    for (ItemTransition t : latest.values()) {
      table.computeIfAbsent(t.status(), s -> new TreeMap<>()).merge(t.attempts(), 1, Integer::sum);
      maxAttempts = Math.max(maxAttempts, t.attempts());
      if (t.status() == ItemStatus.DEAD_LETTERED && t.lastErrorKind() != null) {
        deadKinds.merge(t.lastErrorKind(), 1, Integer::sum);
      }
    }
    out.println();
    out.printf("Finished %,d items in %.1fs (%,.0f items/s)%n%n", latest.size(), seconds, latest.size() / seconds);
    StringBuilder header = new StringBuilder(String.format("%-14s", "status"));
    for (int a = 1; a <= maxAttempts; a++) {
      header.append(String.format("%9s", a + (a == 1 ? " attempt" : " att.")));
    }
    header.append(String.format("%9s", "total"));
    out.println(header);
    for (Map.Entry<ItemStatus, TreeMap<Integer, Integer>> row : table.entrySet()) {
      StringBuilder line = new StringBuilder(String.format("%-14s", row.getKey()));
      int total = 0;
      for (int a = 1; a <= maxAttempts; a++) {
        int n = row.getValue().getOrDefault(a, 0);
        total += n;
        line.append(String.format("%,9d", n));
      }
      line.append(String.format("%,9d", total));
      out.println(line);
    }
    out.println();
    out.printf("Parked while a tool was unavailable, then released: %,d items (no attempt burned)%n", parked);
    out.printf("Dead-lettered by kind: %s%n", deadKinds);
    out.println("Run it again: the next run first finds this run's items in ./data.");
  }
}
