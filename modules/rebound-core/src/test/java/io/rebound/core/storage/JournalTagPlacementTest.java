package io.rebound.core.storage;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.PostgresTestDatabase;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.item.ItemStatus;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node tags item events in their journal rows only while every member of its cluster reads them
 * there: a member of an older release (no {@link JournalTagPlacement#ROLE}) reads a slice only from
 * the tag table, and its projection would pass over the others.
 */
class JournalTagPlacementTest {
  @TempDir Path dir;

  @Test
  void tagsGoInRowsOnlyWhenThisNodeIsUpAndEveryMemberHasTheRole() {
    Set<String> own = Set.of(JournalTagPlacement.ROLE);
    assertTrue(JournalTagPlacement.inRow(own, true, List.of(own, Set.of(JournalTagPlacement.ROLE, "web"))));
    assertFalse(JournalTagPlacement.inRow(own, true, List.of(own, Set.of("web"))), "one member of an older release");
    assertFalse(JournalTagPlacement.inRow(own, false, List.of(own)), "not Up yet, or leaving");
    assertFalse(JournalTagPlacement.inRow(Set.of(), true, List.of(own)), "this node's setting is off, whoever else is there");
  }

  @Test
  void aNodeOfItsOwnTagsInRowsFromItsFirstItem() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, "rebound.queues.work { handler.type = simulated }"))) {
      assertTrue(JournalTagPlacement.get(Adapter.toClassic(node.system())).inRow(), "decided before start returned");
      enqueueAndFinish(node);
      try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "");
          PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM \"event_tag\"");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertEquals(0, rs.getInt(1), "tag rows of the first item");
      }
    }
  }

  @Test
  void theRoleIsAddedToTheUsersOwnRoles() {
    Config withRole = JournalTagPlacement.withRole(ConfigFactory.parseString("pekko.cluster.roles = [web]").withFallback(ConfigFactory.load()));
    assertEquals(List.of("web", JournalTagPlacement.ROLE), withRole.getStringList("pekko.cluster.roles"));
    assertEquals(List.of(JournalTagPlacement.ROLE), JournalTagPlacement.withRole(ConfigFactory.load()).getStringList("pekko.cluster.roles"));
  }

  @Test
  void aNodeWithTagsInJournalRowsOffLeavesTheRoleOut() {
    Config off = ConfigFactory.parseString("rebound.tags-in-journal-rows = off\npekko.cluster.roles = [web]").withFallback(ConfigFactory.load());
    assertFalse(JournalTagPlacement.withRole(off).hasPath("pekko.cluster.roles"), "the user's roles, unchanged");
    ReboundConfigException wrong = assertThrows(ReboundConfigException.class, () -> JournalTagPlacement.withRole(
        ConfigFactory.parseString("rebound.tags-in-journal-rows = sometimes").withFallback(ConfigFactory.load())));
    assertTrue(wrong.getMessage().contains("rebound.tags-in-journal-rows"), wrong.getMessage());
  }

  private static String enqueueAndFinish(Rebound node) {
    String id = await(node.enqueue("work", EnqueueRequest.builder("{}").build())).item().id();
    TestNodes.awaitTerminal(node, List.of(id), Duration.ofSeconds(30));
    return id;
  }

  /** The item's events tagged in their rows, and those with a tag row. */
  private static int[] tagPlaces(PostgresTestDatabase db, String id) throws Exception {
    try (Connection c = DriverManager.getConnection(db.url(), PostgresTestDatabase.USER, "");
        PreparedStatement ps = c.prepareStatement("SELECT COUNT(j.\"rebound_tag\"), COUNT(t.\"tag\") FROM \"event_journal\" j"
            + " LEFT JOIN \"event_tag\" t ON t.\"event_id\" = j.\"ordering\" WHERE j.\"persistence_id\" = ?")) {
      ps.setString(1, "Item|" + id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new int[] {rs.getInt(1), rs.getInt(2)};
      }
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void aMemberWithoutTheRoleMakesTheNodeWriteTagRowsUntilItIsRemoved() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      int port = freePort();
      String seed = "pekko.cluster.seed-nodes = [\"pekko://rebound@127.0.0.1:" + port + "\"]\n";
      String queues = "rebound.queues.work { handler.type = simulated }\n" + db.config() + seed;
      try (Rebound node = Rebound.start(TestNodes.config(dir.resolve("a"), queues + "pekko.remote.artery.canonical.port = " + port))) {
        JournalTagPlacement placement = JournalTagPlacement.get(Adapter.toClassic(node.system()));
        assertTrue(placement.inRow(), "decided by the time the node has started: its first items are tagged in their rows");
        String alone = enqueueAndFinish(node);
        assertEquals(0, tagPlaces(db, alone)[1], "no tag rows while every member has the role");
        assertTrue(tagPlaces(db, alone)[0] >= 3, "each event tagged in its row");

        // A member without the role, as a node of an older release is. It stands in for one here
        // (this release with the setting off): what is checked is where the first node writes.
        String mixed;
        try (Rebound older = Rebound.start(TestNodes.config(dir.resolve("b"), queues + "rebound.tags-in-journal-rows = off\n"))) {
          assertFalse(older.system().settings().config().getStringList("pekko.cluster.roles").contains(JournalTagPlacement.ROLE));
          Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !placement.inRow());
          mixed = enqueueAndFinish(node);
          int[] places = tagPlaces(db, mixed);
          assertEquals(0, places[0], "no event tagged in its row while a member may read only tag rows");
          assertTrue(places[1] >= 3, "a tag row for each event");
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(placement::inRow);
        String after = enqueueAndFinish(node);
        assertEquals(0, tagPlaces(db, after)[1], "tags in rows again once that member is removed");

        // The index finds all three, whichever way their events were tagged.
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> await(node.index().stats("work", Instant.now()))
            .counts().getOrDefault(ItemStatus.SUCCEEDED, 0L) == 3);
      }
    }
  }
}
