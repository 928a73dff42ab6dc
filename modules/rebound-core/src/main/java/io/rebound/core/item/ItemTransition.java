package io.rebound.core.item;

import io.rebound.api.ErrorKind;
import java.time.Instant;

/**
 * Published on the node's event stream each time an item of this node changes status, once the
 * change is persisted. Node-local and not durable: the journal is the record, this is for live
 * views (progress, metrics).
 *
 * @param lastError the message of the item's last failure (with {@code lastErrorKind}), or null
 */
public record ItemTransition(
    String id, String queue, ItemStatus status, int attempts, ErrorKind lastErrorKind, Instant createdAt, Instant at,
    String lastError) {}
