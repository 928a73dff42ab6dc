package io.rebound.multijvm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * A schedule on three node JVMs (PostgreSQL): one runner in the cluster makes one item per tick,
 * and when the node holding it is SIGKILLed the runner moves and goes on, with every tick made
 * once (missed = run-all makes the ticks of the failover too).
 */
class ScheduleClusterIT {
  private static final Duration START = Duration.ofSeconds(180);
  private static final String PREFIX = "schedule:every-2s:";

  /** The schedule's last tick as the node shows it; EPOCH while its runner does not answer (it is moving). */
  private static Instant lastTick(NodeProcess n) {
    try {
      Api.Reply r = Api.get(n.api() + "/v1/schedules");
      JsonNode s = r.ok() ? r.body().path("schedules").get(0) : null;
      return s != null && s.path("lastTick").isTextual() ? Instant.parse(s.path("lastTick").asText()) : Instant.EPOCH;
    } catch (java.io.IOException notNow) {
      return Instant.EPOCH;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The node the cluster singleton runs on: the oldest member. */
  private static NodeProcess oldest(TestCluster cluster) throws Exception {
    String oldest = Api.get(cluster.node(0).management() + "/cluster/members").body().path("oldest").asText();
    return cluster.nodes.stream().filter(n -> oldest.endsWith(":" + n.remotePort)).findFirst()
        .orElseThrow(() -> new AssertionError("no node is the oldest, " + oldest));
  }

  /** The id of a tick's item: what io.rebound.core.item.ItemIds.forKey makes of the queue and the tick's key. */
  private static String itemId(Instant tick) {
    return UUID.nameUUIDFromBytes(("work" + '\u0000' + PREFIX + tick).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** Whether the tick's item exists, read from the item itself (the index may lag behind a killed node's slice). */
  private static boolean itemOf(NodeProcess n, Instant tick) throws Exception {
    Api.Reply r = Api.get(n.api() + "/v1/items/" + itemId(tick));
    if (r.status() == 404) {
      return false;
    }
    assertTrue(r.ok(), r.text());
    assertEquals(PREFIX + tick, r.body().path("key").asText());
    return true;
  }

  /** The runner's Fired events in the journal: one per tick it made, on whichever node it ran. */
  private static int firedEvents(TestCluster cluster) throws Exception {
    try (Connection c = PgDatabase.connect(cluster.db.name); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM event_journal WHERE persistence_id = 'rebound-schedules'"
            + " AND event_ser_manifest LIKE '%$Fired'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aScheduleFiresOncePerTickAcrossThreeNodesAndTheKillOfTheNodeHoldingIt(TestInfo info) throws Exception {
    try (TestCluster cluster = new TestCluster(info.getTestMethod().orElseThrow().getName(), 3, """
        rebound.schedules.every-2s { cron = "*/2 * * * * *", queue = work, missed = run-all }
        """)) {
      cluster.start(0, 1, 2);
      cluster.awaitUp(START, 0, 1, 2);
      NodeProcess holder = oldest(cluster);
      NodeProcess survivor = cluster.nodes.stream().filter(n -> n != holder).findFirst().orElseThrow();

      // A few ticks with all three nodes up.
      await().atMost(Duration.ofSeconds(60)).until(() -> !lastTick(survivor).equals(Instant.EPOCH));
      Instant first = lastTick(survivor);
      await().atMost(Duration.ofSeconds(60)).until(() -> lastTick(survivor).isAfter(first.plusSeconds(3)));

      holder.kill(); // SIGKILL of the node running the schedule
      Instant killed = Instant.now();
      // The resolver downs it (stable-after 3s) and the runner starts on the next oldest node, which
      // makes the ticks it missed meanwhile and goes on.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .until(() -> lastTick(survivor).isAfter(killed.plusSeconds(4)));
      System.out.println("ScheduleClusterIT: the runner went on " + Duration.between(killed, Instant.now()).toSeconds()
          + " s after the SIGKILL of " + holder.name);
      Instant last = Instant.parse(Api.post(survivor.api() + "/v1/schedules/every-2s/pause", "").body().path("lastTick").asText());

      // Every tick from the first to the last has its item, the kill's among them ...
      Instant firstTick = first;
      while (itemOf(survivor, firstTick.minusSeconds(2))) {
        firstTick = firstTick.minusSeconds(2);
      }
      List<Instant> missing = new ArrayList<>();
      for (Instant t = firstTick; !t.isAfter(last); t = t.plusSeconds(2)) {
        if (!itemOf(survivor, t)) {
          missing.add(t);
        }
      }
      assertEquals(List.of(), missing, "ticks without an item between " + firstTick + " and " + last);
      assertTrue(firstTick.isBefore(killed) && last.isAfter(killed.plusSeconds(4)), "ticks on both sides of the kill");
      // An enqueue in flight when the pause came still ends with its item.
      Instant lastItem = last;
      while (itemOf(survivor, lastItem.plusSeconds(2))) {
        lastItem = lastItem.plusSeconds(2);
      }
      // ... and the runner made each once: as many Fired events in its journal as ticks with an item.
      long ticks = Duration.between(firstTick, lastItem).toSeconds() / 2 + 1;
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(ticks, firedEvents(cluster), "Fired events for " + ticks + " ticks"));
    }
  }
}
