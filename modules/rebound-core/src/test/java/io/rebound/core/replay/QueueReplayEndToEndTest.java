package io.rebound.core.replay;

import static io.rebound.core.TestNodes.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.replay.ReplaySimulator.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A real node on H2 runs items with known failure patterns; replays over its journal give exact counts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueueReplayEndToEndTest {
  private static final String QUEUES = """
      rebound.index.group-within = 50ms
      jdbc-read-journal.refresh-interval = 200ms
      rebound.queues.work {
        handler.type = simulated
        concurrency = 16
        retry { max-attempts = 5, initial = 20ms, multiplier = 2.0, max-interval = 1s, jitter = none }
      }
      """;
  /** The queue's policy, as configured above. */
  private static final RetryPolicy RECORDED = RetryPolicy.builder().maxAttempts(5).initial(Duration.ofMillis(20))
      .maxInterval(Duration.ofSeconds(1)).jitter(RetryPolicy.Jitter.NONE).build();
  private static final int EACH = 6;

  private Rebound node;
  private final List<String> needingFour = new ArrayList<>();
  private final List<String> needingThree = new ArrayList<>();
  private final List<String> exhausted = new ArrayList<>();
  private Instant from;

  @BeforeAll
  void runTheWorkload(@TempDir Path dir) throws Exception {
    node = Rebound.start(TestNodes.config(dir, QUEUES));
    from = Instant.now().minusSeconds(1);
    List<String> all = new ArrayList<>();
    String[] payloads = {
      "{\"fail\":1}", "{\"fail\":2}", "{\"fail\":3}", "{\"fail\":1,\"kind\":\"PERMANENT\"}", "{\"fail\":9}"};
    List<java.util.concurrent.CompletableFuture<io.rebound.core.enqueue.EnqueueResult>> sent = new ArrayList<>();
    for (int i = 0; i < EACH * payloads.length; i++) {
      sent.add(node.enqueue("work", EnqueueRequest.builder(payloads[i % payloads.length]).build()).toCompletableFuture());
    }
    for (int i = 0; i < sent.size(); i++) {
      String id = sent.get(i).get().item().id();
      int p = i % payloads.length;
      all.add(id);
      (p == 1 ? needingThree : p == 2 ? needingFour : p == 4 ? exhausted : new ArrayList<String>()).add(id);
    }
    TestNodes.awaitTerminal(node, all, Duration.ofSeconds(60));
    // The replay reads the index: wait until it shows every item ended.
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Map<ItemStatus, Long> counts = await(node.index().stats("work", Instant.now())).counts();
      return counts.get(ItemStatus.SUCCEEDED) == 3 * EACH && counts.get(ItemStatus.DEAD_LETTERED) == 2 * EACH;
    });
  }

  @AfterAll
  void stop() {
    node.close();
  }

  private ReplayReport replay(RetryPolicy policy, int changeLimit, String after) {
    return await(node.replay(new ReplayRequest("work", from, Instant.now(), policy, changeLimit, after)));
  }

  @Test
  void the_queues_own_policy_replays_to_what_happened() {
    ReplaySummary s = replay(RECORDED, 100, null).summary();
    assertEquals(5 * EACH, s.all().items());
    assertEquals(3L * EACH, s.all().recorded().get(RecordedItem.Outcome.SUCCEEDED));
    assertEquals(2L * EACH, s.all().recorded().get(RecordedItem.Outcome.DEAD_LETTERED));
    assertEquals(3L * EACH, s.all().replayed().get(Outcome.SUCCEEDED));
    assertEquals(2L * EACH, s.all().replayed().get(Outcome.DEAD_LETTERED));
    assertEquals(0, s.changed());
    // 2 + 3 + 4 + 1 + 5 attempts per round of patterns.
    assertEquals(15L * EACH, s.recordedAttempts());
    assertEquals(15L * EACH, s.replayedAttempts());
  }

  @Test
  void under_two_attempts_items_needing_three_or_four_dead_letter() {
    RetryPolicy two = RECORDED.toBuilder().maxAttempts(2).build();
    ReplayReport r = replay(two, 100, null);
    ReplaySummary s = r.summary();
    assertEquals(1L * EACH, s.all().replayed().get(Outcome.SUCCEEDED));
    assertEquals(4L * EACH, s.all().replayed().get(Outcome.DEAD_LETTERED));
    assertEquals(0L, s.all().replayed().get(Outcome.UNKNOWN));
    assertEquals(2L * EACH, s.changed());
    Set<String> changed = new HashSet<>();
    s.changes().forEach(c -> changed.add(c.id()));
    Set<String> expected = new HashSet<>(needingThree);
    expected.addAll(needingFour);
    assertEquals(expected, changed);
    // (2 + 2 + 2 + 1 + 2) attempts per round.
    assertEquals(9L * EACH, s.replayedAttempts());
    assertEquals(1L * EACH, s.byErrorKind().get(ErrorKind.PERMANENT.name()).items());
  }

  @Test
  void exhausted_items_become_unknown_under_a_longer_policy() {
    ReplaySummary s = replay(RECORDED.toBuilder().maxAttempts(8).build(), 100, null).summary();
    assertEquals(3L * EACH, s.all().replayed().get(Outcome.SUCCEEDED));
    assertEquals(1L * EACH, s.all().replayed().get(Outcome.DEAD_LETTERED));
    assertEquals(1L * EACH, s.all().replayed().get(Outcome.UNKNOWN));
    Set<String> changed = new HashSet<>();
    s.changes().forEach(c -> changed.add(c.id()));
    assertEquals(new HashSet<>(exhausted), changed);
  }

  @Test
  void the_changed_items_come_in_pages() {
    RetryPolicy two = RECORDED.toBuilder().maxAttempts(2).build();
    Instant to = Instant.now();
    Set<String> seen = new HashSet<>();
    String after = null;
    int pages = 0;
    do {
      ReplaySummary s = await(node.replay(new ReplayRequest("work", from, to, two, 5, after))).summary();
      s.changes().forEach(c -> assertEquals(true, seen.add(c.id()), "listed twice: " + c.id()));
      after = s.nextChanges();
      pages++;
    } while (after != null);
    assertEquals(2 * EACH, seen.size());
    assertEquals((2 * EACH + 4) / 5, pages);
  }

  @Test
  void a_window_before_the_items_holds_none() {
    ReplaySummary s = await(node.replay(new ReplayRequest("work", from.minusSeconds(3600), from, RECORDED, 10, null))).summary();
    assertEquals(0, s.all().items());
    assertNull(s.recordedTimeToSuccess(50));
  }
}
