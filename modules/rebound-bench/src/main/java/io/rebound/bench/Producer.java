package io.rebound.bench;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.EnqueueResult;
import io.rebound.core.enqueue.OverloadedException;
import io.rebound.core.Rebound;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enqueues as a well-behaved producer does: a node that answers "overloaded" is asked again a
 * moment later, so that a bench can offer more than the node takes at once.
 */
final class Producer {
  private static final long PAUSE_MILLIS = 20;
  private static final ScheduledExecutorService RETRY = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-producer-retry");
    t.setDaemon(true);
    return t;
  });

  private Producer() {}

  static CompletionStage<EnqueueResult> enqueue(Rebound node, String queue, EnqueueRequest request) {
    CompletableFuture<EnqueueResult> out = new CompletableFuture<>();
    attempt(node, queue, request, out);
    return out;
  }

  private static void attempt(Rebound node, String queue, EnqueueRequest request, CompletableFuture<EnqueueResult> out) {
    node.enqueue(queue, request).whenComplete((r, e) -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof OverloadedException) {
        RETRY.schedule(() -> attempt(node, queue, request, out), PAUSE_MILLIS, TimeUnit.MILLISECONDS);
      } else if (e != null) {
        out.completeExceptionally(cause);
      } else {
        out.complete(r);
      }
    });
  }
}
