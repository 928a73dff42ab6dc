package io.rebound.server.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.api.JobContext;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** A JobContext for calling handlers directly, without an actor system. */
record FakeContext(String itemId, String queue, int attempt, String payloadJson, AtomicInteger heartbeats)
    implements JobContext {
  private static final ObjectMapper JSON = new ObjectMapper();

  FakeContext(String itemId, String queue, int attempt, String payloadJson) {
    this(itemId, queue, attempt, payloadJson, new AtomicInteger());
  }

  @Override
  public Optional<String> key() {
    return Optional.empty();
  }

  @Override
  public int execution() {
    return attempt;
  }

  @Override
  public JsonNode payload() {
    try {
      return JSON.readTree(payloadJson);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void heartbeat() {
    heartbeats.incrementAndGet();
  }
}
