package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.EnqueueResult;
import io.rebound.core.schedule.UnknownScheduleException;

import static io.rebound.core.TestNodes.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.index.ItemIndex;
import io.rebound.core.item.ItemIds;
import io.rebound.core.item.ItemView;
import io.rebound.core.schedule.ScheduleView;
import io.rebound.core.schedule.Schedules;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A schedule on a real node (H2): one item per tick, deduplicated by its tick, paused and triggered. */
class ScheduleEndToEndTest {
  private static final String CONFIG = """
      rebound.queues.reports.handler.type = simulated
      rebound.schedules.every-2s {
        cron = "*/2 * * * * *"
        queue = reports
        payload { report = daily }
        priority = 7
      }
      """;

  @TempDir Path dir;

  private static ScheduleView view(Rebound node) {
    return await(node.schedules().list()).get(0);
  }

  private static List<ItemIndex.Row> rows(Rebound node) {
    return await(node.index().list(new ItemIndex.Query("reports", null, null, 1000, null))).items();
  }

  @Test
  void aScheduleEveryTwoSecondsMakesOneItemPerTick() {
    try (Rebound node = Rebound.start(TestNodes.config(dir, CONFIG))) {
      // Wait for four ticks, then pause so that the count stands still.
      await().atMost(Duration.ofSeconds(30)).until(() -> rows(node).size() >= 4);
      ScheduleView paused = await(node.schedules().pause("every-2s"));
      assertTrue(paused.paused());
      Instant last = paused.lastTick();
      assertNotNull(last);

      // Every tick from the first to the last has exactly one item, keyed by its tick.
      await().atMost(Duration.ofSeconds(10)).until(() -> rows(node).stream().anyMatch(r -> r.key().endsWith(last.toString())));
      List<ItemIndex.Row> rows = rows(node);
      List<Instant> ticks = rows.stream().map(r -> Instant.parse(r.key().substring("schedule:every-2s:".length()))).sorted().toList();
      assertEquals(last, ticks.get(ticks.size() - 1), "no item after the pause's last tick");
      for (int i = 1; i < ticks.size(); i++) {
        assertEquals(Duration.ofSeconds(2), Duration.between(ticks.get(i - 1), ticks.get(i)), "one item per tick: " + ticks);
      }
      ItemView item = await(node.status(ItemIds.forKey("reports", "schedule:every-2s:" + last))).orElseThrow();
      assertEquals("{\"report\":\"daily\"}", item.payload());
      assertEquals(7, item.priority());
      assertEquals(item.id(), paused.lastItemId());

      // A second runner firing the same tick (a split brain, a repeat after a crash) reaches the same item.
      EnqueueResult again = await(node.enqueue("reports", EnqueueRequest.builder("{}").key("schedule:every-2s:" + last).build()));
      assertFalse(again.created());
      assertEquals(item.id(), again.item().id());

      // A trigger makes one more item at once, paused or not, with a key of its own.
      Schedules.Triggered t = await(node.schedules().trigger("every-2s"));
      assertTrue(await(node.status(t.itemId())).orElseThrow().key().startsWith("schedule:every-2s:trigger:"));
      assertEquals(t.itemId(), view(node).lastItemId());

      // Resumed, it goes on from the next tick.
      assertFalse(await(node.schedules().resume("every-2s")).paused());
      await().atMost(Duration.ofSeconds(10)).until(() -> view(node).lastTick().isAfter(last));

      CompletionException unknown = assertThrows(CompletionException.class,
          () -> node.schedules().pause("nope").toCompletableFuture().join());
      assertTrue(unknown.getCause() instanceof UnknownScheduleException);
    }
  }
}
