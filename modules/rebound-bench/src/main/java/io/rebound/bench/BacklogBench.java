package io.rebound.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.JobHandler;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.item.ItemStatus;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backlog workload: what an outage's backlog costs a node.
 *
 * <ol>
 *   <li><b>Waiting</b>: N items enqueued with a one-hour delay (priorities 0-9); the enqueue rate
 *       and the live heap after a full GC.
 *   <li><b>Restart</b>: the node is shut down and started again on the same data; the time until
 *       start returns (the node is up and ready), until a fresh item of another queue is accepted,
 *       and until it is done; the live heap after GC.
 *   <li><b>Due</b>: N more items enqueued with no delay into a paused queue (due at once, nothing
 *       runs), the live heap after GC; then the queue is resumed and drained: items/s, peak heap,
 *       and whether higher priorities finished first (the mean finishing rank of each priority).
 *   <li><b>Parked</b>: up to 100,000 items parked on a tool that is down; the live heap; then the
 *       tool comes back and the items released in the first ten seconds, against the release
 *       rate (1,000/s): with the whole set parked, the rate must hold.
 * </ol>
 */
final class BacklogBench {
  private static final double MIB = 1024.0 * 1024.0;
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  /** Parked items released per second when the bench's tool comes back. */
  static final int RELEASE_RATE = 1_000;
  /** Enqueues in flight from the bench: a producer that waits for its replies. */
  private static final int IN_FLIGHT = 2_000;

  private BacklogBench() {}

  static boolean run(int n, int concurrency, Config overrides, Path dir, Bench.HeapSampler heap, int timeoutSeconds) throws Exception {
    JobHandler noop = ctx -> DONE;
    Config config = overrides.withFallback(ConfigFactory.parseString(String.join("\n",
        "rebound.data-dir = \"" + dir.toString().replace("\\", "/") + "\"",
        "rebound.max-concurrency = " + concurrency,
        "rebound.handler-dispatcher.thread-pool-executor.fixed-pool-size = " + concurrency,
        "rebound.queues.backlog.concurrency = " + concurrency,
        "rebound.queues.due.concurrency = " + concurrency,
        "rebound.queues.fresh.concurrency = " + concurrency,
        "rebound.tools.bench-tool { probe { type = java, class = \"" + BenchTool.class.getName() + "\", interval = 200ms }, release-rate = " + RELEASE_RATE + " }",
        "rebound.queues.parked { concurrency = " + concurrency + ", tools = [bench-tool], max-park = 24h }")));
    Map<String, JobHandler> handlers = Map.of("backlog", noop, "due", noop, "fresh", noop, "parked", noop);
    BenchTool.up = false;
    boolean ok = true;

    // ---- 1. waiting backlog ----
    System.gc();
    double heapBefore = liveHeapMib(heap);
    Rebound node = Rebound.start(config, handlers);
    long t0 = System.nanoTime();
    enqueueAll(node, "backlog", n, Duration.ofHours(1));
    double enqueueRate = n / secs(System.nanoTime() - t0);
    double waitingHeap = liveHeapMib(heap);
    System.out.printf(Locale.ROOT, "backlog waiting items=%d enqueue/s=%.0f liveHeapAfterGc=%.0fMiB (empty node %.0fMiB, %.2f KiB/item)%n",
        n, enqueueRate, waitingHeap, heapBefore, (waitingHeap - heapBefore) * 1024 / n);

    // ---- 2. restart with the backlog ----
    node.close();
    long r0 = System.nanoTime();
    node = Rebound.start(config, handlers);
    long ready = System.nanoTime() - r0;
    CompletableFuture<Void> freshDone = new CompletableFuture<>();
    AtomicLong freshDoneAt = new AtomicLong();
    String[] freshId = new String[1];
    node.onTransition(t -> {
      if ("fresh".equals(t.queue()) && t.status() == ItemStatus.SUCCEEDED) {
        freshDoneAt.compareAndSet(0, System.nanoTime());
        freshDone.complete(null);
      }
    });
    long accepted = -1;
    while (accepted < 0 && System.nanoTime() - r0 < TimeUnit.SECONDS.toNanos(timeoutSeconds)) {
      try {
        freshId[0] = node.enqueue("fresh", EnqueueRequest.builder("{}").build()).toCompletableFuture().get(5, TimeUnit.SECONDS).item().id();
        accepted = System.nanoTime() - r0;
      } catch (Exception e) {
        Thread.sleep(50);
      }
    }
    freshDone.get(timeoutSeconds, TimeUnit.SECONDS);
    long done = freshDoneAt.get() - r0;
    double restartedHeap = liveHeapMib(heap);
    System.out.printf(Locale.ROOT, "backlog restart ready=%.1fs freshAccepted=%.1fs freshDone=%.1fs liveHeapAfterGc=%.0fMiB%n",
        secs(ready), secs(accepted), secs(done), restartedHeap);

    // ---- 3. a due backlog, drained ----
    node.pause("due");
    Map<Integer, AtomicLong> rankSum = new ConcurrentHashMap<>();
    Map<Integer, AtomicInteger> perPriority = new ConcurrentHashMap<>();
    Map<String, Integer> priorityOf = new ConcurrentHashMap<>();
    AtomicInteger finished = new AtomicInteger();
    AtomicLong lastDone = new AtomicLong();
    node.onTransition(t -> {
      if ("due".equals(t.queue()) && t.status().isTerminal()) {
        int rank = finished.incrementAndGet();
        lastDone.set(System.nanoTime());
        Integer p = priorityOf.remove(t.id());
        if (p != null) {
          rankSum.computeIfAbsent(p, k -> new AtomicLong()).addAndGet(rank);
          perPriority.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet();
        }
      }
    });
    t0 = System.nanoTime();
    enqueueDue(node, n, priorityOf);
    double dueEnqueueRate = n / secs(System.nanoTime() - t0);
    double dueHeap = liveHeapMib(heap);
    System.out.printf(Locale.ROOT, "backlog due (paused) items=%d enqueue/s=%.0f liveHeapAfterGc=%.0fMiB%n", n, dueEnqueueRate, dueHeap);
    heap.reset();
    long d0 = System.nanoTime();
    node.resume("due");
    long deadline = d0 + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (finished.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    double drainRate = finished.get() / secs(lastDone.get() - d0);
    StringBuilder ranks = new StringBuilder();
    for (int p = 9; p >= 0; p--) {
      AtomicInteger c = perPriority.get(p);
      if (c != null && c.get() > 0) {
        ranks.append(String.format(Locale.ROOT, " p%d=%.2f", p, rankSum.get(p).get() / (double) c.get() / n));
      }
    }
    System.out.printf(Locale.ROOT, "backlog drain items=%d items/s=%.0f peakHeap=%.0fMiB meanFinishingRank(0=first,1=last):%s%n",
        finished.get(), drainRate, heap.peak() / MIB, ranks);
    if (finished.get() < n) {
      System.out.println("backlog FAILED: " + (n - finished.get()) + " due items not done within " + timeoutSeconds + "s");
      ok = false;
    }

    // ---- 4. parked on a tool that is down, then released ----
    int p = Math.min(n, 100_000);
    AtomicInteger parked = new AtomicInteger();
    AtomicInteger released = new AtomicInteger();
    AtomicLong firstRelease = new AtomicLong();
    AtomicLong tenthSecond = new AtomicLong();
    long[] upAt = {Long.MAX_VALUE};
    node.onTransition(t -> {
      if (!"parked".equals(t.queue())) {
        return;
      }
      if (t.status() == ItemStatus.PARKED) {
        parked.incrementAndGet();
      } else if (t.status() == ItemStatus.PENDING && System.nanoTime() >= upAt[0]) {
        int k = released.incrementAndGet();
        firstRelease.compareAndSet(0, System.nanoTime());
        if (System.nanoTime() - upAt[0] <= TimeUnit.SECONDS.toNanos(10)) {
          tenthSecond.set(k);
        }
      }
    });
    t0 = System.nanoTime();
    enqueueAll(node, "parked", p, Duration.ZERO);
    while (parked.get() < p && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(timeoutSeconds)) {
      Thread.sleep(20);
    }
    double parkRate = parked.get() / secs(System.nanoTime() - t0);
    double parkedHeap = liveHeapMib(heap);
    upAt[0] = System.nanoTime();
    BenchTool.up = true;
    long releaseDeadline = upAt[0] + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    // The release rate over the first ten seconds is what holds or not with the whole set parked.
    while (System.nanoTime() - upAt[0] < TimeUnit.SECONDS.toNanos(11) && System.nanoTime() < releaseDeadline) {
      Thread.sleep(50);
    }
    System.out.printf(Locale.ROOT, "backlog parked items=%d parked/s=%.0f liveHeapAfterGc=%.0fMiB releasedInFirst10s=%d (%.0f/s at release-rate %d, first after %.1fs)%n",
        parked.get(), parkRate, parkedHeap, tenthSecond.get(), tenthSecond.get() / 10.0, RELEASE_RATE,
        firstRelease.get() == 0 ? Double.NaN : secs(firstRelease.get() - upAt[0]));
    if (parked.get() < p) {
      System.out.println("backlog FAILED: only " + parked.get() + " of " + p + " items parked");
      ok = false;
    }
    node.close();
    return ok;
  }

  private static void enqueueAll(Rebound node, String queue, int n, Duration delay) throws InterruptedException {
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    AtomicInteger failed = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      EnqueueRequest r = EnqueueRequest.builder("{}").delay(delay).priority(ThreadLocalRandom.current().nextInt(10)).build();
      Producer.enqueue(node, queue, r).whenComplete((ok, e) -> {
        if (e != null) {
          failed.incrementAndGet();
        }
        inFlight.release();
      });
    }
    inFlight.acquire(IN_FLIGHT);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " enqueues failed");
    }
  }

  private static void enqueueDue(Rebound node, int n, Map<String, Integer> priorityOf) throws InterruptedException {
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      int p = ThreadLocalRandom.current().nextInt(10);
      Producer.enqueue(node, "due", EnqueueRequest.builder("{}").priority(p).build()).whenComplete((r, e) -> {
        if (r != null) {
          priorityOf.put(r.item().id(), p);
        }
        inFlight.release();
      });
    }
    inFlight.acquire(IN_FLIGHT);
  }

  private static double liveHeapMib(Bench.HeapSampler heap) {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / MIB;
  }

  private static double secs(long nanos) {
    return nanos / 1e9;
  }
}
