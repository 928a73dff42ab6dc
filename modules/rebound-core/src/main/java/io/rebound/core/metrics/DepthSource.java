package io.rebound.core.metrics;

import io.rebound.core.item.ItemStatus;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * How many items each queue holds, by status. The read side (the {@code rebound_item} table)
 * answers it; the {@link Metrics} actor polls it on a timer and never blocks on it.
 */
@FunctionalInterface
public interface DepthSource {
  /** Queue -> status -> items; a queue or status missing from the answer has none. */
  CompletionStage<Map<String, Map<ItemStatus, Long>>> depthByQueue();

  /** A source that knows no items: depth gauges read 0 until a real one is plugged in. */
  DepthSource NONE = () -> CompletableFuture.completedFuture(Map.of());
}
