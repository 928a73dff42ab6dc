package io.rebound.core.outbox;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.item.ItemIds;
import java.time.Duration;
import java.time.Instant;

/**
 * One committed row of {@code rebound_outbox}, as the relay read it.
 *
 * @param key the row's dedup key, or null
 * @param maxAttempts the item's own max attempts, or null for its queue's
 * @param group the item's group, or null
 * @param traceparent the W3C traceparent of the span that wrote the row, or null
 */
public record OutboxRow(
    long id,
    String queue,
    String payload,
    String key,
    int priority,
    long delayMs,
    Integer maxAttempts,
    String group,
    String traceparent,
    Instant createdAt) {

  /**
   * The id of the item this row becomes. With a key, the key's item, as for any enqueue: rows with
   * the same key make one item. Without, a name-based id of the row (its id and creation time, so
   * that a table whose ids start again does not meet old items): relaying a row again, after a
   * crash between its enqueue and its delete, reaches the item it already made. Keys cannot hold
   * control characters, so the \u0001 prefix never meets a key of the queue.
   */
  public String itemId() {
    return key != null ? ItemIds.forKey(queue, key) : ItemIds.forKey(queue, "\u0001outbox\u0001" + id + "\u0001" + createdAt);
  }

  /**
   * The enqueue this row asks for; its delay counts from the row's creation.
   *
   * @throws IllegalArgumentException naming what is wrong with the row (it can never become an item)
   */
  public EnqueueRequest request(Instant now) {
    if (delayMs < 0) {
      throw new IllegalArgumentException("delay_ms must not be negative, was " + delayMs);
    }
    EnqueueRequest.Builder b = EnqueueRequest.builder(payload).key(key).priority(priority);
    Duration left = Duration.between(now, createdAt.plusMillis(delayMs));
    if (!left.isNegative() && !left.isZero()) {
      b.delay(left);
    }
    if (maxAttempts != null) {
      b.maxAttempts(maxAttempts);
    }
    if (group != null) {
      b.group(group);
    }
    return b.build();
  }
}
