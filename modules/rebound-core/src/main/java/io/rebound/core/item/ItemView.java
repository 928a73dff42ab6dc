package io.rebound.core.item;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.rebound.api.ErrorKind;
import io.rebound.core.serialization.CborSerializable;
import java.time.Instant;

/**
 * A read-only snapshot of one item, as the facade and the HTTP API show it.
 *
 * @param group the item's group (tenant), or null
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ItemView(
    String id,
    String queue,
    String key,
    ItemStatus status,
    int priority,
    int attempts,
    int maxAttempts,
    Instant nextAttemptAt,
    LastError lastError,
    Instant createdAt,
    Instant updatedAt,
    String payload,
    String group)
    implements CborSerializable {

  /** The most recent failure; null on an item that never failed. */
  public record LastError(ErrorKind kind, String message) implements CborSerializable {}
}
