package io.rebound.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.JobHandler;
import io.rebound.api.TransientException;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Throughput and latency of an embedded Rebound node on its default H2 file database.
 *
 * <ul>
 *   <li>W1: N no-op items enqueued as fast as possible, then drained. Prints enqueue/s, end-to-end
 *       items/s, p50/p99 enqueue-to-done latency and the peak heap.
 *   <li>W2: N items that fail twice (transiently) and then succeed, with no backoff. Prints
 *       end-to-end items/s and the handler invocations counted by the bench's own handler, which
 *       must be exactly 3 N.
 *   <li>W3 (not in all): a steady --rate of no-op items for --duration; see {@link W3}.
 *   <li>backlog (not in all): see {@link BacklogBench}.
 * </ul>
 *
 * <p>With {@code --peer db-scheduler}, W1, W2 and W3 run side by side with db-scheduler, every
 * run in a child JVM of its own; see {@link PeerComparison}.
 *
 * <p>Every run gets a fresh node on a fresh data dir (deleted afterwards); runs follow each other
 * in one JVM. The exit code is non-zero when any run lost, failed or over/under-ran an item.
 */
@Command(
    name = "rebound-bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks an embedded Rebound node (W1: no-op items, W2: items failing twice).")
public final class Bench implements Callable<Integer> {

  public enum Workload { W1, W2, W3 }

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  private static final double MIB = 1024.0 * 1024.0;

  @Option(names = "--workload", defaultValue = "all", description = "W1, W2, W3, all (W1 and W2) or backlog (default: ${DEFAULT-VALUE}).")
  String workload;

  @Option(names = "--items", description = "Items per run (default: 20000 for W1, 5000 for W2, 1000000 for backlog).")
  Integer items;

  @Option(names = "--concurrency", defaultValue = "64",
      description = "Queue concurrency, rebound.max-concurrency and handler threads (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--repeat", defaultValue = "1", description = "Runs of each workload; K > 1 adds a median line (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--max-in-flight", defaultValue = "0",
      description = "Bound on enqueues awaiting their reply; 0 = unbounded (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--timeout", defaultValue = "600", description = "Seconds a run may take before it counts as failed (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--set", description = "Extra HOCON for the node, e.g. --set jdbc-journal.parallelism=8 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--database-url", paramLabel = "JDBC_URL",
      description = "Run on this database (e.g. jdbc:postgresql://127.0.0.1:5432/bench) instead of a fresh H2 file; its Rebound tables are emptied before each run.")
  String databaseUrl;

  @Option(names = "--database-user", defaultValue = "postgres", description = "User of --database-url (default: ${DEFAULT-VALUE}).")
  String databaseUser;

  @Option(names = "--nodes", defaultValue = "1",
      description = "Nodes of one cluster, all in this JVM on loopback (each with the given concurrency); > 1 needs --database-url (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--data-root", description = "Where the temporary data dirs go (default: java.io.tmpdir).")
  Path dataRoot;

  @Option(names = "--keep-data", description = "Do not delete the data dirs afterwards.")
  boolean keepData;

  @Option(names = "--rate", defaultValue = "500", description = "W3: items enqueued per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--duration", defaultValue = "60", description = "W3: seconds of steady load (default: ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(names = "--peer", paramLabel = "db-scheduler",
      description = "Run each workload side by side with this peer (only db-scheduler), every run in a fresh child JVM of its own, and print both medians and their ratio.")
  String peer;

  @Option(names = "--warm", description = "With --peer: each child JVM runs the workload twice; the second run is reported apart as warm.")
  boolean warm;

  @Option(names = "--peer-immediate", description = "With --peer: W1/W2 on db-scheduler with enableImmediateExecution() (W3 always runs it both ways).")
  boolean peerImmediate;

  @Option(names = "--peer-polling-interval", defaultValue = "PT1S", description = "With --peer: db-scheduler's polling interval, ISO-8601 (default: ${DEFAULT-VALUE}).")
  java.time.Duration peerPollingInterval;

  @Option(names = "--sql-stats", description = "On H2: after each run, print the statements that took the most database time (H2's QUERY_STATISTICS).")
  boolean sqlStats;

  /** Set in the child JVMs of --peer: print a RunResult line after each run, for the parent to read. */
  @Option(names = "--emit-results", hidden = true)
  boolean emitResults;

  public static void main(String[] args) {
    int code = new CommandLine(new Bench()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    // Pekko leaves no non-daemon threads after close, but be explicit about the exit code.
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    if (workload.equalsIgnoreCase("backlog")) {
      if (peer != null) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--peer compares W1, W2 and W3; backlog has no peer");
      }
      return backlog();
    }
    List<Workload> workloads = switch (workload.toUpperCase(Locale.ROOT)) {
      case "ALL" -> List.of(Workload.W1, Workload.W2);
      case "W1" -> List.of(Workload.W1);
      case "W2" -> List.of(Workload.W2);
      case "W3" -> List.of(Workload.W3);
      default -> throw new CommandLine.ParameterException(new CommandLine(this), "--workload must be W1, W2, W3, all or backlog, was " + workload);
    };
    if (!(rate > 0) || durationSeconds < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--rate must be > 0 and --duration >= 1");
    }
    if (peer != null) {
      if (!peer.equalsIgnoreCase("db-scheduler")) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--peer must be db-scheduler, was " + peer);
      }
      if (nodes > 1 || databaseUrl != null) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--peer runs both on H2 files, one node: leave out --nodes and --database-url");
      }
      return new PeerComparison(this, workloads).run() ? 0 : 1;
    }
    if (concurrency < 1 || repeat < 1 || (items != null && items < 1) || maxInFlight < 0 || nodes < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--concurrency, --repeat, --nodes and --items must be >= 1, --max-in-flight >= 0");
    }
    if (nodes > 1 && databaseUrl == null) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--nodes > 1 needs a shared --database-url (PostgreSQL)");
    }
    Path root = dataRoot != null ? dataRoot : Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(root);

    Runtime rt = Runtime.getRuntime();
    System.out.printf(Locale.ROOT, "JVM maxHeap=%.0fMiB processors=%d java=%s gc=%s commonPoolParallelism=%d args=%s%n",
        rt.maxMemory() / MIB, rt.availableProcessors(), System.getProperty("java.version"), gcNames(),
        java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(), ManagementFactory.getRuntimeMXBean().getInputArguments());
    if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() <= 1) {
      // CompletableFuture's default async executor is then a new thread per task, and the stages
      // Pekko's javadsl ask returns (Scala's FutureConverters) run every callback async.
      System.out.println("note: ForkJoinPool.commonPool parallelism <= 1: CompletableFuture *Async stages without an executor start a thread each");
    }
    System.out.printf(Locale.ROOT, "config concurrency=%d maxInFlight=%s nodes=%d database=%s overrides=%s%n",
        concurrency, maxInFlight == 0 ? "unbounded" : Integer.toString(maxInFlight), nodes,
        databaseUrl == null ? "H2 file" : databaseUrl, overrides);

    HeapSampler heap = new HeapSampler();
    CpuClock cpu = new CpuClock();
    boolean allOk = true;
    try {
      for (Workload w : workloads) {
        if (w == Workload.W3) {
          allOk &= runW3(root, cpu);
          continue;
        }
        int n = items != null ? items : (w == Workload.W1 ? 20_000 : 5_000);
        List<Result> results = new ArrayList<>();
        for (int i = 1; i <= repeat; i++) {
          Result r = run(w, n, root, heap);
          results.add(r);
          System.out.println(r.line(repeat > 1 ? "run " + i + "/" + repeat : null));
          if (!r.problems().isEmpty()) {
            System.out.println(w + " FAILED: " + String.join("; ", r.problems()));
            allOk = false;
          }
          if (emitResults) {
            System.out.println(new RunResult("rebound", w.name(), i, n, r.itemsPerSec, r.p50, r.p99, r.max,
                CpuClock.msPerItem(cpu.sinceLast(), n), r.problems().isEmpty()).line());
          }
        }
        if (repeat > 1 && !emitResults) { // a --peer child's runs are cold then warm: their median means nothing
          System.out.println(Result.median(results).line("median of " + repeat));
        }
      }
    } finally {
      heap.close();
    }
    return allOk ? 0 : 1;
  }

  /** W3 on a fresh embedded node per run, --repeat times in this JVM. */
  private boolean runW3(Path root, CpuClock cpu) throws Exception {
    boolean ok = true;
    for (int i = 1; i <= repeat; i++) {
      List<String> problems = new ArrayList<>();
      RunResult r = W3.run(this, root, i, cpu, problems);
      System.out.println(W3.humanLine(r, repeat > 1 ? "run " + i + "/" + repeat : null));
      if (!problems.isEmpty()) {
        System.out.println("W3 FAILED: " + String.join("; ", problems));
        ok = false;
      }
      if (emitResults) {
        System.out.println(r.line());
      }
    }
    return ok;
  }

  /** The backlog workload (BacklogBench): N delayed items, a restart, N due items drained. */
  private int backlog() throws Exception {
    int n = items != null ? items : 1_000_000;
    Path root = dataRoot != null ? dataRoot : Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(root);
    Path dir = Files.createTempDirectory(root, "rebound-bench-backlog-");
    Runtime rt = Runtime.getRuntime();
    System.out.printf(Locale.ROOT, "JVM maxHeap=%.0fMiB processors=%d gc=%s; backlog items=%d concurrency=%d overrides=%s%n",
        rt.maxMemory() / MIB, rt.availableProcessors(), gcNames(), n, concurrency, overrides);
    try (HeapSampler heap = new HeapSampler()) {
      return BacklogBench.run(n, concurrency, ConfigFactory.parseString(String.join("\n", overrides)), dir, heap, timeoutSeconds) ? 0 : 1;
    } finally {
      if (!keepData) {
        deleteRecursively(dir);
      }
    }
  }

  // ---- one run ------------------------------------------------------------------------------

  private Result run(Workload w, int n, Path root, HeapSampler heap) throws Exception {
    String queue = w.name().toLowerCase(Locale.ROOT);
    Path dir = Files.createTempDirectory(root, "rebound-bench-" + queue + "-");
    AtomicInteger invocations = new AtomicInteger();
    JobHandler handler = w == Workload.W1
        ? ctx -> {
          invocations.incrementAndGet();
          return DONE;
        }
        : ctx -> {
          invocations.incrementAndGet();
          if (ctx.execution() <= 2) {
            throw new TransientException("planned failure " + ctx.execution());
          }
          return DONE;
        };

    Config config = nodeConfig(queue, dir);

    if (databaseUrl != null) {
      BenchCluster.emptyTables(databaseUrl, databaseUser);
      config = ConfigFactory.parseString("rebound.database { url = \"" + databaseUrl + "\", user = \"" + databaseUser + "\" }")
          .withFallback(config);
    }
    String statsUrl = null;
    if (sqlStats && databaseUrl == null) {
      statsUrl = io.rebound.core.config.ReboundSettings.from(config.withFallback(ConfigFactory.load())).effectiveDatabaseUrl()
          + ";QUERY_STATISTICS=TRUE;QUERY_STATISTICS_MAX_ENTRIES=500";
      config = ConfigFactory.parseString("rebound.database.url = \"" + statsUrl + "\"").withFallback(config);
    }

    System.gc();
    heap.reset();
    long gcBefore = gcMillis();
    long startT = System.nanoTime();
    BenchCluster cluster;
    try {
      cluster = BenchCluster.start(nodes, config, Map.of(queue, handler));
    } catch (RuntimeException e) {
      if (!keepData) {
        deleteRecursively(dir);
      }
      throw e;
    }
    Rebound node = cluster.first();
    long startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startT);
    Tracker tracker = new Tracker(n, w == Workload.W1 ? 1 : 3);
    Result r = new Result(w, n);
    int replyCount;
    int enqueueErrorCount;
    Throwable firstEnqueueError;
    try {
      cluster.all().forEach(member -> member.onTransition(tracker::accept));

      // ---- enqueue everything, as fast as the replies allow ----
      EnqueueRequest request = EnqueueRequest.builder("{}").build(); // immutable, no key: a new item each time
      Semaphore inFlight = maxInFlight > 0 ? new Semaphore(maxInFlight) : null;
      AtomicInteger replies = new AtomicInteger();
      AtomicInteger enqueueErrors = new AtomicInteger();
      AtomicReference<Throwable> firstError = new AtomicReference<>();
      AtomicLong lastReply = new AtomicLong();
      CompletableFuture<Void> allReplied = new CompletableFuture<>();
      long[] host0 = hostCpuTicks();
      long cpu0 = processCpuNanos();
      long threads0 = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        if (inFlight != null) {
          inFlight.acquireUninterruptibly();
        }
        CompletionStage<?> reply = Producer.enqueue(cluster.next(), queue, request);
        reply.whenComplete((ok, e) -> {
          if (e != null) {
            enqueueErrors.incrementAndGet();
            firstError.compareAndSet(null, e);
          }
          if (inFlight != null) {
            inFlight.release();
          }
          if (replies.incrementAndGet() == n) {
            lastReply.set(System.nanoTime());
            allReplied.complete(null);
          }
        });
      }
      long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      try {
        allReplied.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // reported below as missing replies
      }

      // ---- wait until every accepted item is terminal (the tracker stamps the time) ----
      int expected = n - enqueueErrors.get();
      while (tracker.terminal() < expected && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      long t1 = tracker.lastTerminalNanos;
      long cpuUsed = processCpuNanos() - cpu0;
      long[] host1 = hostCpuTicks();
      long threadsStarted = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - threads0;
      long wall = System.nanoTime() - t0;
      long gcDuring = gcMillis() - gcBefore;
      double peak = heap.peak() / MIB;
      System.gc();
      double afterGc = heap.sampleNow() / MIB;

      r.enqueuePerSec = replies.get() == n && lastReply.get() > 0 ? n / secs(lastReply.get() - t0) : Double.NaN;
      r.itemsPerSec = tracker.terminal() >= n && t1 > 0 ? n / secs(t1 - t0) : Double.NaN;
      double[] lat = tracker.latenciesMillis();
      r.p50 = percentile(lat, 0.50);
      r.p99 = percentile(lat, 0.99);
      r.max = lat.length == 0 ? Double.NaN : lat[lat.length - 1];
      r.peakHeap = peak;
      r.heapAfterGc = afterGc;
      r.gcMillis = gcDuring;
      r.startMillis = startMillis;
      r.threadsStarted = threadsStarted;
      r.hostCpuPercent = host0 == null || host1 == null || host1[1] == host0[1]
          ? Double.NaN : 100.0 * (host1[0] - host0[0]) / (host1[1] - host0[1]);
      r.cpuPercent = cpu0 < 0 ? Double.NaN : 100.0 * cpuUsed / ((double) wall * Runtime.getRuntime().availableProcessors());
      replyCount = replies.get();
      enqueueErrorCount = enqueueErrors.get();
      firstEnqueueError = firstError.get();

      // ---- how long after the last item the read side (rebound_item) shows them all ----
      if (t1 > 0) {
        while (System.nanoTime() < deadline && node.index().stats(queue, java.time.Instant.now()).toCompletableFuture().join()
            .counts().get(io.rebound.core.item.ItemStatus.SUCCEEDED) < tracker.succeeded) {
          Thread.sleep(20);
        }
        r.indexLagMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
      }
      if (statsUrl != null) {
        SqlStats.print(statsUrl, System.out);
      }
    } finally {
      cluster.close();
      if (!keepData) {
        deleteRecursively(dir);
      }
    }

    // Checked after close, so that a late or duplicate invocation would be counted too.
    r.invocations = invocations.get();
    r.succeeded = tracker.succeeded;
    if (enqueueErrorCount > 0) {
      r.problems().add(enqueueErrorCount + " enqueues failed, first: " + firstEnqueueError);
    }
    if (replyCount < n) {
      r.problems().add((n - replyCount) + " enqueues got no reply within " + timeoutSeconds + "s");
    }
    if (tracker.succeeded != n) {
      r.problems().add("succeeded=" + tracker.succeeded + " of " + n + " (dead-lettered/cancelled=" + tracker.otherTerminal
          + ", not terminal=" + (n - tracker.terminal()) + ")");
    }
    int expectedInvocations = w == Workload.W1 ? n : 3 * n;
    if (r.invocations != expectedInvocations) {
      r.problems().add("invocations=" + fmt0(r.invocations) + ", expected " + expectedInvocations);
    }
    if (tracker.wrongAttempts > 0) {
      r.problems().add(tracker.wrongAttempts + " items succeeded after an unexpected number of attempts (expected " + tracker.expectedAttempts + ")");
    }
    return r;
  }

  /** A node on its own data dir with one queue: --concurrency everywhere, zero backoff, --set on top. */
  Config nodeConfig(String queue, Path dir) {
    return ConfigFactory.parseString(String.join("\n", overrides))
        .withFallback(ConfigFactory.parseString(String.join("\n",
            "rebound.data-dir = \"" + dir.toString().replace("\\", "/") + "\"",
            "rebound.max-concurrency = " + concurrency,
            "rebound.handler-dispatcher.thread-pool-executor.fixed-pool-size = " + concurrency,
            "rebound.queues." + queue + " {",
            "  concurrency = " + concurrency,
            "  retry { initial = 0ms, jitter = none, max-attempts = 5 }",
            "}")));
  }

  // ---- tracking items through their transitions ------------------------------------------------

  /**
   * Fed by the node's transition listener, which calls it on one actor thread; the main thread
   * only reads the volatile counters and, once they say all is done, the latencies.
   */
  static final class Tracker {
    final double[] latencies;
    final int expectedAttempts;
    volatile int succeeded;
    volatile int otherTerminal;
    volatile int wrongAttempts;
    volatile long lastTerminalNanos;

    Tracker(int n, int expectedAttempts) {
      this.latencies = new double[n];
      this.expectedAttempts = expectedAttempts;
    }

    /** Synchronized: with several nodes, each one's listener calls it from its own actor thread. */
    synchronized void accept(io.rebound.core.item.ItemTransition t) {
      switch (t.status()) {
        case SUCCEEDED -> {
          // Enqueue-to-done: createdAt is stamped by the item when it persists Enqueued, at is
          // when it persisted Succeeded (both from the node's clock).
          int i = succeeded;
          if (i < latencies.length) {
            latencies[i] = java.time.Duration.between(t.createdAt(), t.at()).toNanos() / 1e6;
          }
          if (t.attempts() != expectedAttempts) {
            wrongAttempts++;
          }
          lastTerminalNanos = System.nanoTime();
          succeeded = i + 1;
        }
        case DEAD_LETTERED, CANCELLED -> {
          lastTerminalNanos = System.nanoTime();
          otherTerminal++;
        }
        default -> {}
      }
    }

    int terminal() {
      return succeeded + otherTerminal;
    }

    double[] latenciesMillis() {
      double[] a = java.util.Arrays.copyOf(latencies, Math.min(succeeded, latencies.length));
      java.util.Arrays.sort(a);
      return a;
    }
  }

  // ---- results ----------------------------------------------------------------------------------

  static final class Result {
    final Workload workload;
    final int items;
    double enqueuePerSec = Double.NaN;
    double itemsPerSec = Double.NaN;
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    double max = Double.NaN;
    double peakHeap = Double.NaN;
    double heapAfterGc = Double.NaN;
    double gcMillis = Double.NaN;
    double startMillis = Double.NaN;
    double cpuPercent = Double.NaN;
    double threadsStarted = Double.NaN;
    double hostCpuPercent = Double.NaN;
    /** From the last item done until the index showed every item (polled every 20 ms). */
    double indexLagMillis = Double.NaN;
    double invocations;
    double succeeded;
    private final List<String> problems = new ArrayList<>();

    Result(Workload workload, int items) {
      this.workload = workload;
      this.items = items;
    }

    List<String> problems() {
      return problems;
    }

    String line(String label) {
      StringBuilder b = new StringBuilder(workload.name()).append(" items=").append(items);
      if (workload == Workload.W1) {
        b.append(" enqueue/s=").append(fmt0(enqueuePerSec))
            .append(" items/s=").append(fmt0(itemsPerSec))
            .append(" p50=").append(unit(fmt1(p50), "ms"))
            .append(" p99=").append(unit(fmt1(p99), "ms"))
            .append(" peakHeap=").append(unit(fmt0(peakHeap), "MiB"));
      } else {
        b.append(" items/s=").append(fmt0(itemsPerSec))
            .append(" invocations=").append(fmt0(invocations))
            .append(" | enqueue/s=").append(fmt0(enqueuePerSec))
            .append(" p50=").append(unit(fmt1(p50), "ms"))
            .append(" p99=").append(unit(fmt1(p99), "ms"))
            .append(" peakHeap=").append(unit(fmt0(peakHeap), "MiB"));
      }
      // Extras, after the headline figures.
      b.append(workload == Workload.W1 ? " |" : "")
          .append(" heapAfterGcBeforeClose=").append(unit(fmt0(heapAfterGc), "MiB"))
          .append(" gcPause=").append(unit(fmt0(gcMillis), "ms"))
          .append(" cpu=").append(unit(fmt0(cpuPercent), "%"))
          .append(" hostCpu=").append(unit(fmt0(hostCpuPercent), "%"))
          .append(" threadsStarted=").append(fmt0(threadsStarted))
          .append(" nodeStart=").append(unit(fmt0(startMillis), "ms"))
          .append(" indexLag=").append(unit(fmt0(indexLagMillis), "ms"));
      if (label != null) {
        b.append(" (").append(label).append(")");
      }
      return b.toString();
    }

    static Result median(List<Result> rs) {
      Result m = new Result(rs.get(0).workload, rs.get(0).items);
      m.enqueuePerSec = med(rs, r -> r.enqueuePerSec);
      m.itemsPerSec = med(rs, r -> r.itemsPerSec);
      m.p50 = med(rs, r -> r.p50);
      m.p99 = med(rs, r -> r.p99);
      m.max = med(rs, r -> r.max);
      m.peakHeap = med(rs, r -> r.peakHeap);
      m.heapAfterGc = med(rs, r -> r.heapAfterGc);
      m.gcMillis = med(rs, r -> r.gcMillis);
      m.startMillis = med(rs, r -> r.startMillis);
      m.cpuPercent = med(rs, r -> r.cpuPercent);
      m.threadsStarted = med(rs, r -> r.threadsStarted);
      m.hostCpuPercent = med(rs, r -> r.hostCpuPercent);
      m.indexLagMillis = med(rs, r -> r.indexLagMillis);
      m.invocations = med(rs, r -> r.invocations);
      m.succeeded = med(rs, r -> r.succeeded);
      return m;
    }

    private static double med(List<Result> rs, ToDoubleFunction<Result> f) {
      double[] v = rs.stream().mapToDouble(f).sorted().toArray();
      int k = v.length;
      return k % 2 == 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
    }
  }

  // ---- heap sampling ----------------------------------------------------------------------------

  /** Samples the used heap every 50 ms on a daemon thread and keeps the peak since the last reset. */
  static final class HeapSampler implements AutoCloseable {
    private final java.lang.management.MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final java.util.concurrent.ScheduledExecutorService timer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "bench-heap-sampler");
          t.setDaemon(true);
          return t;
        });

    HeapSampler() {
      timer.scheduleAtFixedRate(this::sampleNow, 0, 50, TimeUnit.MILLISECONDS);
    }

    long sampleNow() {
      long used = memory.getHeapMemoryUsage().getUsed();
      peak.accumulateAndGet(used, Math::max);
      return used;
    }

    void reset() {
      peak.set(memory.getHeapMemoryUsage().getUsed());
    }

    long peak() {
      sampleNow();
      return peak.get();
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static double percentile(double[] sorted, double q) {
    return Stats.percentile(sorted, q);
  }

  private static double secs(long nanos) {
    return nanos / 1e9;
  }

  private static long gcMillis() {
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  /** CPU time of the whole process (all threads, GC included), or -1 where the JVM does not tell. */
  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /**
   * {busy, total} jiffies of the whole machine from /proc/stat, or null off Linux. Next to the
   * process's own cpu%, it shows whether something else was using the cores during a run.
   */
  private static long[] hostCpuTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String gcNames() {
    return String.join("+", ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList());
  }

  private static String fmt0(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.0f", v);
  }

  private static String unit(String formatted, String unit) {
    return formatted.equals("n/a") ? formatted : formatted + unit;
  }

  private static String fmt1(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      System.err.println("warning: could not delete " + dir + ": " + e.getMessage());
    }
  }
}
