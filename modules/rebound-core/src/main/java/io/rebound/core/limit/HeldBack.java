package io.rebound.core.limit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Items held back by a rate or group limit on this node, per queue and group: requests waiting
 * for a permit while their queue has free slots on the node, because their group has no permit
 * from the limiter. The dispatcher writes it every report interval; the metrics read it.
 */
public final class HeldBack {
  private final Map<String, Map<String, Integer>> byQueue = new ConcurrentHashMap<>();

  public void set(String queue, Map<String, Integer> byGroup) {
    byQueue.put(queue, Map.copyOf(byGroup));
  }

  /** Per group ("" for items without one) of the queue; empty when none is held back. */
  public Map<String, Integer> of(String queue) {
    return byQueue.getOrDefault(queue, Map.of());
  }

  public Map<String, Map<String, Integer>> all() {
    return Map.copyOf(byQueue);
  }
}
