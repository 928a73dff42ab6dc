package io.rebound.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** What a handler knows about the attempt it is running. */
public interface JobContext {
  /** The item's id: stable across attempts, a good idempotency key. */
  String itemId();

  String queue();

  /** The dedup key given at enqueue, if any. */
  Optional<String> key();

  /** The counted attempt number, from 1; parked attempts do not count. */
  int attempt();

  /**
   * How many times a handler has been invoked for this item, this one included (never resets). It
   * is the attempt's fencing token: pass it downstream and refuse writes of a lower one.
   */
  int execution();

  /** The payload as a JSON tree. */
  JsonNode payload();

  /** The payload as JSON text, exactly as it was stored. */
  String payloadJson();

  /** Says the attempt is alive: restarts the queue's attempt timeout. Safe from any thread. */
  void heartbeat();

  /**
   * Completes when Rebound asks this attempt to stop: its timeout expired, the item was cancelled,
   * the item is moving to another node or the node is stopping. A blocking handler is also
   * interrupted. The item holds the attempt's permit, and starts no other attempt, until the
   * handler has ended or the queue's {@code attempt-kill-grace} has passed.
   */
  default CompletionStage<Void> cancelled() {
    return new CompletableFuture<>();
  }

  /** Whether Rebound has asked this attempt to stop (see {@link #cancelled()}). */
  default boolean isCancelled() {
    return cancelled().toCompletableFuture().isDone();
  }
}
