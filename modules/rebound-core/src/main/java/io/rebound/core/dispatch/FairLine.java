package io.rebound.core.dispatch;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Requests of one queue, by group, in fair order: the next one is the head of a group whose head
 * has the highest priority, taking such groups in turn (a group served goes to the back). Within a
 * group, requests keep their order (priority, then enqueue time). Items without a group form one
 * group, so a queue without groups runs in plain priority order. When the line is too long, the
 * one to leave is the worst request of the biggest group, so that a group with a huge backlog
 * cannot push a small one out of memory.
 */
final class FairLine {
  private final Comparator<Dispatcher.Request> order;
  private final Map<String, TreeSet<Dispatcher.Request>> groups = new HashMap<>();
  /** Groups with requests, in their turn order. */
  private final LinkedHashSet<String> turns = new LinkedHashSet<>();
  private int size;

  FairLine(Comparator<Dispatcher.Request> order) {
    this.order = order;
  }

  static String group(Dispatcher.Request r) {
    return r.group() == null ? "" : r.group();
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** @return false when it was there already */
  boolean add(Dispatcher.Request r) {
    String g = group(r);
    if (groups.computeIfAbsent(g, k -> new TreeSet<>(order)).add(r)) {
      turns.add(g);
      size++;
      return true;
    }
    return false;
  }

  boolean remove(Dispatcher.Request r) {
    String g = group(r);
    TreeSet<Dispatcher.Request> line = groups.get(g);
    if (line != null && line.remove(r)) {
      size--;
      if (line.isEmpty()) {
        groups.remove(g);
        turns.remove(g);
      }
      return true;
    }
    return false;
  }

  /** The next request in fair order among the groups {@code allowed} to start one, or null. */
  Dispatcher.Request next(Predicate<String> allowed) {
    Dispatcher.Request best = null;
    for (String g : turns) {
      Dispatcher.Request head = groups.get(g).first();
      if ((best == null || head.priority() > best.priority()) && allowed.test(g)) {
        best = head;
      }
    }
    return best;
  }

  /** Takes the request {@link #next} gave; its group goes to the back of the turns. */
  void take(Dispatcher.Request r) {
    if (remove(r)) {
      String g = group(r);
      if (groups.containsKey(g)) {
        turns.remove(g);
        turns.add(g);
      }
    }
  }

  /** Takes the worst request of the biggest group (the one to leave memory), or null when empty. */
  Dispatcher.Request pollWorst() {
    TreeSet<Dispatcher.Request> biggest = null;
    for (String g : turns) {
      TreeSet<Dispatcher.Request> line = groups.get(g);
      if (biggest == null || line.size() > biggest.size()) {
        biggest = line;
      }
    }
    if (biggest == null) {
      return null;
    }
    Dispatcher.Request worst = biggest.last();
    remove(worst);
    return worst;
  }

  /** Requests waiting per group. */
  Map<String, Integer> counts() {
    Map<String, Integer> out = new HashMap<>();
    groups.forEach((g, line) -> out.put(g, line.size()));
    return out;
  }

  /** The best priority waiting in the group, or -1 when none. */
  int bestPriority(String group) {
    TreeSet<Dispatcher.Request> line = groups.get(group);
    return line == null ? -1 : line.first().priority();
  }
}
