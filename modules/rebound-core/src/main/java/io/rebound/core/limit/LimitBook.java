package io.rebound.core.limit;

import io.rebound.core.config.RateLimit;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;

/**
 * The decisions of one queue's limiter, without an actor: what each node holds and wants, the
 * buckets, and who gets the next permits. A permit is one attempt start of one group on one node;
 * it takes a token of the queue's bucket and of the group's bucket and, with a group concurrency,
 * one of the group's slots until the node reports it given back.
 *
 * <p>Fairness: permits go to the groups whose best waiting work has the highest priority, round
 * robin among them (a group served goes to the back of the line), so a group with a huge backlog
 * gets as many permits as one with little, never all of them.
 *
 * <p>Counting a node's slots: a node reports, every so often and when its work changes, the
 * slots it holds per group (running attempts and permits not yet used) and the last lease it had
 * applied ({@code ack}). Leases sent after that are added to what it reported, so a report that
 * crossed a lease on the wire neither loses nor double-counts it. A node not heard from for
 * {@code nodeTimeout} is gone and its slots are free; a book that just started grants nothing for
 * {@code settle}, so that the nodes have reported the slots they already hold.
 *
 * @param <N> how nodes are told apart (their dispatcher's ActorRef)
 */
public final class LimitBook<N> {

  /** What one node wants for a group: {@code count} permits for work of {@code priority} at best. */
  public record Want(int count, int priority) {}

  /** Permits for one node: apply them, then acknowledge {@code seq} of {@code epoch} in reports. */
  public record Grant<N>(N node, long seq, Map<String, Integer> permits) {}

  private final class Node {
    Map<String, Integer> held = Map.of();
    Map<String, Want> wants = Map.of();
    long lastSeen;
    long nextSeq = 1;
    /** Leases sent and not yet acknowledged: seq to permits per group. */
    final ArrayDeque<Map.Entry<Long, Map<String, Integer>>> pending = new ArrayDeque<>();
  }

  private final RateLimit rate;
  private final int groupConcurrency;
  private final RateLimit groupRate;
  private final long nodeTimeout;
  private final long settleUntil;
  private final TokenBucket queueBucket;
  private final Map<String, TokenBucket> groupBuckets = new HashMap<>();
  private final Map<N, Node> nodes = new LinkedHashMap<>();
  /** Groups in their turn order: the next permit goes to the first one able to take it. */
  private final LinkedHashSet<String> turns = new LinkedHashSet<>();

  /**
   * @param rate the queue's bucket, or null
   * @param groupConcurrency slots per group, or 0 for none
   * @param groupRate each group's bucket, or null
   * @param nodeTimeoutNanos a node silent this long is gone
   * @param settleNanos grant nothing this long after {@code now}
   */
  public LimitBook(RateLimit rate, int groupConcurrency, RateLimit groupRate, long nodeTimeoutNanos, long settleNanos, long now) {
    this.rate = rate;
    this.groupConcurrency = groupConcurrency;
    this.groupRate = groupRate;
    this.nodeTimeout = nodeTimeoutNanos;
    this.settleUntil = now + settleNanos;
    this.queueBucket = rate == null ? null : new TokenBucket(rate, now);
  }

  /**
   * A node's report.
   *
   * @param ack the last lease it applied, 0 for none (a lease of an earlier book is not counted)
   * @param wants permits it could use now per group, on top of those it holds unused
   * @param held slots it holds per group: running attempts and permits not yet used
   */
  public void report(N node, long ack, Map<String, Want> wants, Map<String, Integer> held, long now) {
    Node n = nodes.computeIfAbsent(node, k -> new Node());
    n.lastSeen = now;
    n.wants = Map.copyOf(wants);
    n.held = Map.copyOf(held);
    while (!n.pending.isEmpty() && n.pending.peekFirst().getKey() <= ack) {
      n.pending.pollFirst();
    }
    wants.keySet().forEach(turns::add);
  }

  /** Forgets nodes silent longer than the timeout, and groups and buckets nothing refers to. */
  public void expire(long now) {
    nodes.values().removeIf(n -> now - n.lastSeen > nodeTimeout);
    Map<String, Integer> used = usage();
    Map<String, Integer> wanted = wanted();
    turns.removeIf(g -> !wanted.containsKey(g) && !used.containsKey(g));
    groupBuckets.entrySet().removeIf(e -> !turns.contains(e.getKey()) && e.getValue().full(now));
  }

  /** Whether any node wants permits or holds slots (the limiter keeps ticking while so). */
  public boolean active() {
    return !nodes.isEmpty();
  }

  /** Hands out what the limits allow now; each grant must be sent to its node. */
  public List<Grant<N>> grant(long now) {
    List<Grant<N>> out = new ArrayList<>();
    if (now < settleUntil || nodes.isEmpty()) {
      return out;
    }
    Map<String, Integer> used = usage();
    Map<N, Map<String, Integer>> left = new LinkedHashMap<>();
    nodes.forEach((id, n) -> left.put(id, unmet(n)));
    Map<N, Map<String, Integer>> given = new LinkedHashMap<>();
    while (queueBucket == null || queueBucket.available(now)) {
      String group = next(left, used, now);
      if (group == null) {
        break;
      }
      N node = neediest(left, group);
      left.get(node).merge(group, -1, Integer::sum);
      given.computeIfAbsent(node, k -> new HashMap<>()).merge(group, 1, Integer::sum);
      used.merge(group, 1, Integer::sum);
      if (queueBucket != null) {
        queueBucket.take();
      }
      if (groupRate != null) {
        groupBuckets.get(group).take();
      }
      turns.remove(group);
      turns.add(group);
    }
    given.forEach((id, permits) -> {
      Node n = nodes.get(id);
      long seq = n.nextSeq++;
      n.pending.addLast(Map.entry(seq, Map.copyOf(permits)));
      out.add(new Grant<>(id, seq, Map.copyOf(permits)));
    });
    return out;
  }

  /** Slots in use per group across the cluster: reported and leased since. */
  public Map<String, Integer> usage() {
    Map<String, Integer> used = new HashMap<>();
    for (Node n : nodes.values()) {
      n.held.forEach((g, c) -> used.merge(g, c, Integer::sum));
      n.pending.forEach(p -> p.getValue().forEach((g, c) -> used.merge(g, c, Integer::sum)));
    }
    return used;
  }

  /** Permits wanted per group across the cluster and not yet leased. */
  public Map<String, Integer> wanted() {
    Map<String, Integer> out = new HashMap<>();
    nodes.values().forEach(n -> unmet(n).forEach((g, c) -> {
      if (c > 0) {
        out.merge(g, c, Integer::sum);
      }
    }));
    return out;
  }

  /** A node's wants less the leases it had not applied when it reported them. */
  private Map<String, Integer> unmet(Node n) {
    Map<String, Integer> m = new HashMap<>();
    n.wants.forEach((g, w) -> m.put(g, w.count()));
    n.pending.forEach(p -> p.getValue().forEach((g, c) -> m.merge(g, -c, Integer::sum)));
    return m;
  }

  /** The first group in turn among those with the best priority that may start one more now. */
  private String next(Map<N, Map<String, Integer>> left, Map<String, Integer> used, long now) {
    String best = null;
    int bestPriority = Integer.MIN_VALUE;
    for (String g : turns) {
      int priority = priority(left, g);
      if (priority > bestPriority && allowed(g, used, now)) {
        best = g;
        bestPriority = priority;
      }
    }
    return best;
  }

  /** The best priority any node wants for the group, MIN_VALUE when none wants it. */
  private int priority(Map<N, Map<String, Integer>> left, String group) {
    int p = Integer.MIN_VALUE;
    for (Map.Entry<N, Map<String, Integer>> e : left.entrySet()) {
      if (e.getValue().getOrDefault(group, 0) > 0) {
        Want w = nodes.get(e.getKey()).wants.get(group);
        p = Math.max(p, w == null ? 0 : w.priority());
      }
    }
    return p;
  }

  private boolean allowed(String group, Map<String, Integer> used, long now) {
    if (groupConcurrency > 0 && used.getOrDefault(group, 0) >= groupConcurrency) {
      return false;
    }
    return groupRate == null || groupBuckets.computeIfAbsent(group, g -> new TokenBucket(groupRate, now)).available(now);
  }

  /** The node that wants the most of the group (spreads a group's permits over its nodes). */
  private N neediest(Map<N, Map<String, Integer>> left, String group) {
    N best = null;
    int most = 0;
    for (Map.Entry<N, Map<String, Integer>> e : left.entrySet()) {
      int c = e.getValue().getOrDefault(group, 0);
      if (c > most) {
        best = e.getKey();
        most = c;
      }
    }
    return best;
  }

  /** Nodes currently counted (for tests and stats). */
  int nodes() {
    return nodes.size();
  }
}
