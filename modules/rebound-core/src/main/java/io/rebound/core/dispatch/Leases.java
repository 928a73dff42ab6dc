package io.rebound.core.dispatch;

import java.util.HashMap;
import java.util.Map;

/**
 * A node's permits from one queue's limiter: the unused ones per group, each batch dropped
 * {@code ttl} after it came (so a node does not hoard slots and tokens it could not use), and the
 * attempts running per group, which hold a group slot until they end.
 */
final class Leases {
  private final long ttl;
  private final Map<String, Integer> unused = new HashMap<>();
  private final Map<String, Long> unusedSince = new HashMap<>();
  private final Map<String, Integer> running = new HashMap<>();
  private long epoch;
  private long ack;

  Leases(long ttlNanos) {
    this.ttl = ttlNanos;
  }

  boolean canStart(String group) {
    return unused.getOrDefault(group, 0) > 0;
  }

  void started(String group) {
    if (unused.merge(group, -1, Integer::sum) <= 0) {
      unused.remove(group);
      unusedSince.remove(group);
    }
    running.merge(group, 1, Integer::sum);
  }

  void ended(String group) {
    if (running.merge(group, -1, Integer::sum) <= 0) {
      running.remove(group);
    }
  }

  /** A lease came: its permits are usable until {@code ttl} from now. */
  void granted(long epoch, long seq, Map<String, Integer> permits, long now) {
    if (epoch != this.epoch) {
      this.epoch = epoch;
      this.ack = 0;
    }
    ack = Math.max(ack, seq);
    permits.forEach((g, n) -> {
      unused.merge(g, n, Integer::sum);
      unusedSince.put(g, now);
    });
  }

  /** Drops permits unused for longer than the ttl; true when some were dropped. */
  boolean expire(long now) {
    boolean any = unusedSince.entrySet().removeIf(e -> now - e.getValue() > ttl && unused.remove(e.getKey()) != null);
    return any;
  }

  int unused(String group) {
    return unused.getOrDefault(group, 0);
  }

  int unusedTotal() {
    return unused.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Slots held per group: running attempts and unused permits. */
  Map<String, Integer> held() {
    Map<String, Integer> out = new HashMap<>(running);
    unused.forEach((g, n) -> out.merge(g, n, Integer::sum));
    return out;
  }

  long epoch() {
    return epoch;
  }

  long ack() {
    return ack;
  }
}
