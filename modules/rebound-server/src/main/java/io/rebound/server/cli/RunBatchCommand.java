package io.rebound.server.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.RetryPolicy;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.config.ReboundSettings;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import io.rebound.server.node.ConfigLoader;
import io.rebound.server.node.NodeServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code rebound run-batch --queue Q --file items.jsonl}: a finite job without a separate server.
 * Starts an embedded node, enqueues every line of the file, waits until every item is SUCCEEDED,
 * DEAD_LETTERED or CANCELLED, prints a summary and stops the node. Exit 0 when every item
 * succeeded, 1 otherwise.
 */
@Command(
    name = "run-batch",
    mixinStandardHelpOptions = true,
    description = {
        "Run a JSON-lines file of items to the end on an embedded node (no server needed).",
        "Enqueues every line, waits until every item has finished, prints a summary and stops the node. "
            + "Exit 0 when all succeeded, 1 when any did not."})
public final class RunBatchCommand implements Callable<Integer> {
  private static final int MAX_IN_FLIGHT = 1_000;

  @Option(names = "--queue", required = true, paramLabel = "QUEUE", description = "The queue (from the config) to run the items in.")
  String queue;

  @Option(names = "--file", required = true, paramLabel = "FILE", description = "A JSON-lines file, one API item object per line.")
  Path file;

  @Option(names = "--config", paramLabel = "FILE", description = "A config file layered over conf/application.conf.")
  Path config;

  @Option(names = "--timeout", paramLabel = "D", converter = DurationConverter.class,
      description = "Give up waiting after this long (30s, 10m, 2h); unfinished items stay in the database. Default: wait.")
  Duration timeout;

  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d;
      try {
        d = RetryPolicy.parseDuration(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
      if (d.isZero() || d.isNegative()) {
        throw new TypeConversionException("must be positive, was '" + value + "'");
      }
      return d;
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    // A node's application.conf ends the JVM when the node stops; this command reports first.
    Config cfg = ConfigFactory.parseString("pekko.coordinated-shutdown.exit-jvm = off")
        .withFallback(ConfigLoader.load(config, ConfigFactory.parseResources("application.conf")));
    ReboundSettings settings = ReboundSettings.from(Rebound.withDefaults(cfg));
    QueueSettings q = settings.queues().get(queue);
    if (q == null) {
      throw new CliException("no queue named '" + queue + "' in the config (queues: "
          + (settings.queues().isEmpty() ? "none" : String.join(", ", new TreeSet<>(settings.queues().keySet()))) + ")");
    }
    // Every line is checked before the node starts: a bad line enqueues nothing.
    List<ItemLines.Line> lines = ItemLines.read(file, NodeClient.MAPPER.createObjectNode(), q.retryPolicy());
    List<EnqueueRequest> requests = lines.stream().map(l -> ItemLines.request(l.item(), q.retryPolicy())).toList();

    long start = System.nanoTime();
    try (Rebound node = Rebound.start(cfg, Map.of(), NodeServer.handlerTypes(Rebound.withDefaults(cfg)))) {
      out.printf("Running %s from %s in queue '%s' (data in %s)%n", Format.count(lines.size(), "item"), file, queue, settings.dataDir());
      out.flush();
      Map<String, ItemStatus> latest = new ConcurrentHashMap<>();
      node.onTransition(t -> {
        if (t.queue().equals(queue)) {
          record(latest, t.id(), t.status());
        }
      });
      Map<String, List<Integer>> linesById = enqueue(node, lines, requests, latest);
      boolean finished = await(node, linesById.keySet(), latest);
      return summarize(out, node, linesById, latest, finished, (System.nanoTime() - start) / 1e9, settings);
    }
  }

  /** An item's status as last seen; a finished item stays finished (polls may answer late). */
  private static void record(Map<String, ItemStatus> latest, String id, ItemStatus status) {
    latest.merge(id, status, (old, now) -> old.isTerminal() ? old : now);
  }

  /** Enqueues every request, at most MAX_IN_FLIGHT at once; returns the lines of each item, in file order. */
  private Map<String, List<Integer>> enqueue(Rebound node, List<ItemLines.Line> lines, List<EnqueueRequest> requests,
      Map<String, ItemStatus> latest) throws InterruptedException {
    String[] ids = new String[requests.size()];
    AtomicReference<String> failure = new AtomicReference<>();
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      if (failure.get() != null) {
        break;
      }
      int index = i;
      inFlight.acquire();
      calls.add(node.enqueue(queue, requests.get(i)).toCompletableFuture().whenComplete((r, e) -> {
        inFlight.release();
        if (e != null) {
          failure.compareAndSet(null, "line " + lines.get(index).number() + " could not be enqueued: " + message(e));
        } else {
          ids[index] = r.item().id();
          // An existing item (same key) may have finished long ago and sends no transition.
          record(latest, r.item().id(), r.item().status());
        }
      }));
    }
    try {
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      // Recorded in failure.
    }
    if (failure.get() != null) {
      throw new CliException(failure.get() + " (items of earlier lines may have been enqueued)");
    }
    Map<String, List<Integer>> linesById = new LinkedHashMap<>();
    for (int i = 0; i < ids.length; i++) {
      linesById.computeIfAbsent(ids[i], id -> new ArrayList<>()).add(lines.get(i).number());
    }
    return linesById;
  }

  /**
   * Waits until every item has finished (or the timeout). Transitions tell most of it; a poll of
   * the unfinished ones catches what happened before the listener was subscribed.
   *
   * @return false when it timed out
   */
  private boolean await(Rebound node, java.util.Set<String> ids, Map<String, ItemStatus> latest) throws InterruptedException {
    long waitStart = System.nanoTime();
    long deadline = timeout == null ? Long.MAX_VALUE : waitStart + timeout.toNanos();
    long nextPoll = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      List<String> open = ids.stream().filter(id -> !isDone(latest.get(id))).toList();
      if (open.isEmpty()) {
        return true;
      }
      long now = System.nanoTime();
      if (timeout != null && now - deadline >= 0) {
        return false;
      }
      if (now - nextPoll >= 0) {
        poll(node, open, latest);
        nextPoll = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      }
      if (now - nextProgress >= 0) {
        System.err.printf("run-batch: %d of %s finished%n", ids.size() - open.size(), Format.count(ids.size(), "item"));
        nextProgress = now + TimeUnit.SECONDS.toNanos(5);
      }
      Thread.sleep(50);
    }
  }

  private static boolean isDone(ItemStatus s) {
    return s != null && s.isTerminal();
  }

  private static void poll(Rebound node, List<String> ids, Map<String, ItemStatus> latest) throws InterruptedException {
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (String id : ids) {
      inFlight.acquire();
      calls.add(node.status(id).toCompletableFuture().whenComplete((v, e) -> {
        inFlight.release();
        if (v != null) {
          v.ifPresent(item -> record(latest, id, item.status()));
        }
      }));
    }
    try {
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      // A slow answer is asked again at the next poll.
    }
  }

  private int summarize(PrintStream out, Rebound node, Map<String, List<Integer>> linesById, Map<String, ItemStatus> latest,
      boolean finished, double seconds, ReboundSettings settings) {
    Map<ItemStatus, Integer> counts = new EnumMap<>(ItemStatus.class);
    linesById.keySet().forEach(id -> counts.merge(latest.getOrDefault(id, ItemStatus.PENDING), 1, Integer::sum));
    int total = linesById.size();
    out.printf("%n%s %s in %.1fs:%n", Format.count(total, "item"), finished ? "finished" : "ran", seconds);
    Table byStatus = new Table("STATUS", "ITEMS");
    counts.forEach((s, n) -> byStatus.row(s.name(), n));
    byStatus.print(out, "  ");
    int succeeded = counts.getOrDefault(ItemStatus.SUCCEEDED, 0);
    if (succeeded == total) {
      out.println(total == 1 ? "The item succeeded." : "All " + total + " items succeeded.");
      return 0;
    }
    List<String> failed = linesById.keySet().stream().filter(id -> latest.get(id) != ItemStatus.SUCCEEDED).toList();
    List<CompletableFuture<Optional<ItemView>>> views =
        failed.stream().map(id -> node.status(id).toCompletableFuture()).toList();
    Table table = new Table("LINE", "ID", "STATUS", "ATTEMPTS", "LAST ERROR");
    for (int i = 0; i < failed.size(); i++) {
      String id = failed.get(i);
      Optional<ItemView> view;
      try {
        view = views.get(i).join();
      } catch (CompletionException e) {
        view = Optional.empty();
      }
      String lineNumbers = linesById.get(id).stream().map(String::valueOf).collect(Collectors.joining(", "));
      ItemStatus status = view.map(ItemView::status).orElse(latest.get(id));
      table.row(lineNumbers, id, status == null ? "?" : status.name(), view.map(v -> v.attempts() + " of " + v.maxAttempts()).orElse("?"),
          view.map(v -> v.lastError() == null ? "-" : v.lastError().kind() + ": " + v.lastError().message()).orElse("?"));
    }
    out.println();
    out.println((total - succeeded) + " of " + Format.count(total, "item") + " did not succeed:");
    table.print(out, "  ");
    if (!finished) {
      int open = (int) linesById.keySet().stream().filter(id -> !isDone(latest.get(id))).count();
      out.printf("%nTimed out after %s with %s unfinished; they stay in %s and resume when a node starts on it.%n",
          Format.duration(timeout), Format.count(open, "item"), settings.dataDir());
    }
    return 1;
  }

  private static String message(Throwable e) {
    Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
