package io.rebound.core.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.config.RateLimit;
import io.rebound.core.limit.LimitBook.Grant;
import io.rebound.core.limit.LimitBook.Want;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The limiter's decisions on a clock the test moves: buckets, group slots, fairness, lost nodes. */
class LimitBookTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long TIMEOUT = 5_000 * MS;

  private long now = 1_000_000 * MS;

  private LimitBook<String> book(RateLimit rate, int groupConcurrency, RateLimit groupRate) {
    return new LimitBook<>(rate, groupConcurrency, groupRate, TIMEOUT, 0, now);
  }

  private static Map<String, Want> want(Object... groupsAndCounts) {
    Map<String, Want> m = new HashMap<>();
    for (int i = 0; i < groupsAndCounts.length; i += 2) {
      m.put((String) groupsAndCounts[i], new Want((Integer) groupsAndCounts[i + 1], 5));
    }
    return m;
  }

  private static int total(List<Grant<String>> grants) {
    return grants.stream().mapToInt(g -> g.permits().values().stream().mapToInt(Integer::intValue).sum()).sum();
  }

  private static int of(List<Grant<String>> grants, String node, String group) {
    return grants.stream().filter(g -> g.node().equals(node)).mapToInt(g -> g.permits().getOrDefault(group, 0)).sum();
  }

  @Test
  void a_full_bucket_gives_its_burst_then_permits_at_the_rate() {
    LimitBook<String> book = book(new RateLimit(20, 20), 0, null);
    book.report("n1", 0, want("", 1000), Map.of(), now);
    assertEquals(20, total(book.grant(now)));
    assertEquals(0, total(book.grant(now)));
    now += 500 * MS;
    assertEquals(10, total(book.grant(now)));
    now += 49 * MS;
    assertEquals(0, total(book.grant(now)));
    now += 1 * MS;
    assertEquals(1, total(book.grant(now)));
  }

  @Test
  void three_nodes_share_one_rate() {
    LimitBook<String> book = book(new RateLimit(20, 20), 0, null);
    int granted = 0;
    for (int tick = 0; tick <= 200; tick++) { // 10 s in 50 ms ticks
      for (String node : List.of("n1", "n2", "n3")) {
        book.report(node, Long.MAX_VALUE, want("", 100), Map.of(), now);
        granted += total(book.grant(now));
      }
      now += 50 * MS;
    }
    // The burst and 20 a second for 10 s: the three nodes together, not each.
    assertEquals(20 + 200, granted);
  }

  @Test
  void a_group_never_holds_more_slots_than_its_concurrency_across_nodes() {
    LimitBook<String> book = book(null, 2, null);
    book.report("n1", 0, want("a", 5), Map.of(), now);
    book.report("n2", 0, want("a", 5), Map.of(), now);
    List<Grant<String>> first = book.grant(now);
    assertEquals(2, total(first));
    assertEquals(0, total(book.grant(now)));
    // n1's attempts ended: it reports holding none and the leases it applied.
    long ackN1 = first.stream().filter(g -> g.node().equals("n1")).mapToLong(Grant::seq).max().orElse(0);
    int n2Held = of(first, "n2", "a");
    book.report("n1", ackN1, want("a", 5), Map.of(), now);
    assertEquals(2 - n2Held, total(book.grant(now)));
    assertEquals(2, book.usage().get("a"));
  }

  @Test
  void a_report_that_crossed_a_lease_on_the_wire_does_not_free_its_slots() {
    LimitBook<String> book = book(null, 1, null);
    book.report("n1", 0, want("a", 3), Map.of(), now);
    assertEquals(1, total(book.grant(now)));
    // Sent before the lease arrived: holds nothing, acknowledges nothing.
    book.report("n1", 0, want("a", 3), Map.of(), now);
    assertEquals(0, total(book.grant(now)));
    assertEquals(1, book.usage().get("a"));
  }

  @Test
  void permits_go_round_robin_across_groups_so_a_big_backlog_does_not_starve_a_small_one() {
    LimitBook<String> book = book(new RateLimit(10, 10), 0, null);
    book.report("n1", 0, want("big", 100_000, "small", 3), Map.of(), now);
    List<Grant<String>> grants = book.grant(now);
    assertEquals(3, of(grants, "n1", "small"));
    assertEquals(7, of(grants, "n1", "big"));
  }

  @Test
  void turns_carry_over_between_grants() {
    LimitBook<String> book = book(new RateLimit(1, 1), 0, null);
    book.report("n1", 0, want("a", 100, "b", 100, "c", 100), Map.of(), now);
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      List<Grant<String>> g = book.grant(now);
      g.forEach(x -> order.addAll(x.permits().keySet()));
      now += 1_000 * MS;
    }
    assertEquals(List.of("a", "b", "c", "a", "b", "c"), order);
  }

  @Test
  void higher_priority_work_of_any_group_goes_first() {
    LimitBook<String> book = book(new RateLimit(2, 2), 0, null);
    book.report("n1", 0, Map.of("low", new Want(5, 1), "high", new Want(5, 9)), Map.of(), now);
    List<Grant<String>> grants = book.grant(now);
    assertEquals(2, of(grants, "n1", "high"));
  }

  @Test
  void each_group_has_its_own_rate() {
    LimitBook<String> book = book(null, 0, new RateLimit(1, 2));
    book.report("n1", 0, want("a", 10, "b", 10), Map.of(), now);
    List<Grant<String>> grants = book.grant(now);
    assertEquals(2, of(grants, "n1", "a"));
    assertEquals(2, of(grants, "n1", "b"));
    now += 1_000 * MS;
    assertEquals(2, total(book.grant(now)));
  }

  @Test
  void the_slots_of_a_node_not_heard_from_are_freed_after_the_timeout() {
    LimitBook<String> book = book(null, 1, null);
    book.report("lost", 0, Map.of(), Map.of("a", 1), now);
    book.report("n2", 0, want("a", 1), Map.of(), now);
    assertEquals(0, total(book.grant(now)));
    now += TIMEOUT - MS;
    book.report("n2", 0, want("a", 1), Map.of(), now);
    book.expire(now);
    assertEquals(0, total(book.grant(now)));
    now += 2 * MS;
    book.expire(now);
    assertEquals(1, of(book.grant(now), "n2", "a"));
  }

  @Test
  void a_new_book_grants_nothing_until_it_has_settled() {
    LimitBook<String> book = new LimitBook<>(null, 1, null, TIMEOUT, 1_500 * MS, now);
    book.report("n1", 0, want("a", 1), Map.of(), now);
    assertEquals(0, total(book.grant(now)));
    // Another node reports the slot it held before the limiter moved.
    book.report("n2", 0, Map.of(), Map.of("a", 1), now + 1_000 * MS);
    now += 1_500 * MS;
    assertEquals(0, total(book.grant(now)));
    book.report("n2", 0, Map.of(), Map.of(), now);
    assertEquals(1, total(book.grant(now)));
  }

  @Test
  void a_slot_held_by_another_node_is_not_granted_again() {
    LimitBook<String> book = new LimitBook<>(null, 1, null, TIMEOUT, 1_000 * MS, now);
    book.report("asking", 0, want("a", 1), Map.of(), now);
    book.report("holding", 0, Map.of(), Map.of("a", 1), now);
    now += 1_000 * MS;
    book.expire(now);
    assertEquals(0, total(book.grant(now)));
  }

  @Test
  void never_more_than_burst_plus_rate_in_any_second() {
    LimitBook<String> book = book(new RateLimit(20, 20), 0, null);
    List<Long> starts = new ArrayList<>();
    for (int tick = 0; tick < 400; tick++) { // 20 s, 50 ms ticks
      book.report("n1", Long.MAX_VALUE, want("", 50), Map.of(), now);
      int n = total(book.grant(now));
      for (int i = 0; i < n; i++) {
        starts.add(now);
      }
      now += 50 * MS;
    }
    for (long from : starts) {
      long inSecond = starts.stream().filter(t -> t >= from && t < from + 1_000 * MS).count();
      assertTrue(inSecond <= 40, "at most burst + 20 in a second, was " + inSecond);
    }
  }
}
