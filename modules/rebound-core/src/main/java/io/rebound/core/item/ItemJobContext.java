package io.rebound.core.item;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.api.JobContext;
import io.rebound.api.PermanentException;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/** The handler's view of one execution; heartbeats go straight to the item actor. */
final class ItemJobContext implements JobContext {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String itemId;
  private final String queue;
  private final String key;
  private final int attempt;
  private final int execution;
  private final String payload;
  private final ActorRef<ItemEntity.Command> item;

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
}
