package io.rebound.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/** What a handler knows about the attempt it is running. */
public interface JobContext {
  /** The item's id: stable across attempts, a good idempotency key. */
  String itemId();

  String queue();

  /** The dedup key given at enqueue, if any. */
  Optional<String> key();

  /** The counted attempt number, from 1; parked attempts do not count. */
  int attempt();

  /** How many times a handler has been invoked for this item, this one included (never resets). */
  int execution();

  /** The payload as a JSON tree. */
  JsonNode payload();

  /** The payload as JSON text, exactly as it was stored. */
  String payloadJson();

  /** Says the attempt is alive: restarts the queue's attempt timeout. Safe from any thread. */
  void heartbeat();
}
