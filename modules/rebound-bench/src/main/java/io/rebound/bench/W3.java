package io.rebound.bench;

import io.rebound.api.JobHandler;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.item.ItemStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * W3, latency under a steady load: no-op items enqueued at --rate per second for --duration
 * seconds on a fresh embedded node; p50/p99/max from each item's due time (see {@link RatePacer})
 * to the node reporting it SUCCEEDED, both on the bench's clock. A retry queue's first attempt
 * should start in milliseconds, not at the next poll.
 */
final class W3 {
  private static final String QUEUE = "w3";

  private W3() {}

  static RunResult run(Bench bench, Path root, int runNumber, CpuClock cpu, List<String> problems) throws Exception {
    Path dir = Files.createTempDirectory(root, "rebound-bench-w3-");
    AtomicInteger invocations = new AtomicInteger();
    JobHandler noop = ctx -> {
      invocations.incrementAndGet();
      return CompletableFuture.completedFuture(null);
    };
    LatencyRecorder latency = new LatencyRecorder();
    AtomicInteger enqueueErrors = new AtomicInteger();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    try (BenchCluster cluster = BenchCluster.start(1, bench.nodeConfig(QUEUE, dir), Map.of(QUEUE, noop))) {
      Rebound node = cluster.first();
      node.onTransition(t -> {
        if (t.status() == ItemStatus.SUCCEEDED) {
          latency.finished(t.id(), System.nanoTime());
        }
      });
      EnqueueRequest request = EnqueueRequest.builder("{}").build();
      long t0 = System.nanoTime();
      RatePacer pacer = new RatePacer(t0, bench.rate);
      long n = pacer.itemsWithin(TimeUnit.SECONDS.toNanos(bench.durationSeconds));
      for (long k = 0; k < n; k++) {
        long due = pacer.awaitTurn(k);
        Producer.enqueue(node, QUEUE, request).whenComplete((r, e) -> {
          if (e != null) {
            enqueueErrors.incrementAndGet();
            firstError.compareAndSet(null, e);
          } else {
            latency.started(r.item().id(), due);
          }
        });
      }
      long lastSent = System.nanoTime();
      long deadline = lastSent + TimeUnit.SECONDS.toNanos(bench.timeoutSeconds);
      while (latency.finishedCount() + enqueueErrors.get() < n && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      long cpuNanos = cpu.sinceLast();
      // Started stamps land in the enqueue replies; give the last few a moment after the last SUCCEEDED.
      Thread.sleep(50);
      double[] ms = latency.sortedMillis();
      System.out.println("W3 rebound " + latency.p99PerWindow(t0, TimeUnit.SECONDS.toNanos(10)));
      if (enqueueErrors.get() > 0) {
        problems.add(enqueueErrors.get() + " enqueues failed, first: " + firstError.get());
      }
      if (latency.finishedCount() < n - enqueueErrors.get()) {
        problems.add("succeeded=" + latency.finishedCount() + " of " + n + " within " + bench.timeoutSeconds + "s after the last enqueue");
      }
      if (invocations.get() != latency.finishedCount()) {
        problems.add("invocations=" + invocations.get() + ", succeeded=" + latency.finishedCount());
      }
      return new RunResult("rebound", "W3", runNumber, (int) n, n / ((lastSent - t0) / 1e9),
          Stats.percentile(ms, 0.50), Stats.percentile(ms, 0.99), ms.length == 0 ? Double.NaN : ms[ms.length - 1],
          CpuClock.msPerItem(cpuNanos, (int) n), problems.isEmpty());
    } finally {
      if (!bench.keepData) {
        Bench.deleteRecursively(dir);
      }
    }
  }

  /** The line a person reads; the RunResult line carries the same figures for a parent JVM. */
  static String humanLine(RunResult r, String label) {
    return String.format(Locale.ROOT, "W3 %s items=%d offered=%.0f/s p50=%.1fms p99=%.1fms max=%.1fms cpu/item=%.2fms%s",
        r.system(), r.items(), r.itemsPerSec(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.cpuMsPerItem(),
        label == null ? "" : " (" + label + ")");
  }
}
