package io.rebound.core.item;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.api.JobContext;
import io.rebound.api.PermanentException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The handler's view of one execution; heartbeats go straight to the item actor. It is also the
 * item's handle on the running handler: {@link #cancel} signals it (the future, the flag, and an
 * interrupt of the thread inside {@code handle}, if any).
 */
final class ItemJobContext implements JobContext {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String itemId;
  private final String queue;
  private final String key;
  private final int attempt;
  private final int execution;
  private final String payload;
  private final ActorRef<ItemEntity.Command> item;
  private final CompletableFuture<Void> cancelled = new CompletableFuture<>();
  private volatile boolean cancelRequested;
  /** The thread inside {@code handle}, or null; guarded by this. */
  private Thread thread;
  /** Whether {@link #cancel} interrupted {@link #thread}; guarded by this. */
  private boolean interrupted;

  ItemJobContext(ItemEntity.State s, ActorRef<ItemEntity.Command> item) {
    this.itemId = s.id();
    this.queue = s.queue();
    this.key = s.key();
    this.attempt = s.attempts();
    this.execution = s.executions();
    this.payload = s.payload();
    this.item = item;
  }

  @Override
  public String itemId() {
    return itemId;
  }

  @Override
  public String queue() {
    return queue;
  }

  @Override
  public Optional<String> key() {
    return Optional.ofNullable(key);
  }

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public int execution() {
    return execution;
  }

  @Override
  public JsonNode payload() {
    try {
      return JSON.readTree(payload);
    } catch (JsonProcessingException e) {
      // Payloads are validated at enqueue; a broken one cannot get better by retrying.
      throw new PermanentException("payload is not valid JSON: " + e.getOriginalMessage());
    }
  }

  @Override
  public String payloadJson() {
    return payload;
  }

  @Override
  public void heartbeat() {
    item.tell(new ItemEntity.Heartbeat(execution));
  }

  @Override
  public CompletionStage<Void> cancelled() {
    return cancelled;
  }

  @Override
  public boolean isCancelled() {
    return cancelRequested;
  }

  /** The calling thread runs the handler's {@code handle} until {@link #exit}. */
  synchronized void enter() {
    thread = Thread.currentThread();
    if (cancelRequested) {
      interrupted = true;
      thread.interrupt();
    }
  }

  /** {@code handle} returned: an interrupt meant for it must not reach the thread's next task. */
  synchronized void exit() {
    thread = null;
    if (interrupted) {
      Thread.interrupted();
    }
  }

  /**
   * Asks the handler to stop: sets the flag, interrupts {@code handle} if it is still inside it,
   * and completes {@link #cancelled()} on {@code executor} (callbacks may block, e.g. to kill a
   * process tree, and must not on the item's thread). Idempotent.
   */
  void cancel(Executor executor) {
    if (cancelRequested) {
      return;
    }
    cancelRequested = true;
    synchronized (this) {
      if (thread != null) {
        interrupted = true;
        thread.interrupt();
      }
    }
    executor.execute(() -> cancelled.complete(null));
  }
}
