package io.rebound.core;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.WarmUp;
import io.rebound.core.item.ItemEntity;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A starting node warms its item path with look-ups of unknown ids: read only, and then it works as ever. */
class WarmUpTest {
  private static final String QUEUES = "rebound.queues.q.handler.type = simulated\n";

  @TempDir Path dir;

  private static int rows(Rebound node, String table) throws Exception {
    Config config = node.system().settings().config();
    try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(),
            config.getString("rebound.database.user"), config.getString("rebound.database.password"));
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aWarmUpWritesNothingAndTheNodeTakesItemsAfterIt() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, QUEUES + "rebound.warm-up-lookups = 50"))) {
      // The start's own warm-up, and one more: every look-up is answered that no item has its id.
      assertEquals(50, await(WarmUp.run(node.system(), 50, Duration.ofSeconds(30))));
      assertEquals(0, rows(node, "\"event_journal\""), "no event written");
      assertEquals(0, rows(node, "rebound_item"), "no index row");

      String id = await(node.enqueue("q", EnqueueRequest.builder("{}").build())).item().id();
      TestNodes.awaitTerminal(node, List.of(id), Duration.ofSeconds(30));
      assertEquals(ItemStatus.SUCCEEDED, await(node.status(id)).orElseThrow().status());
    }
  }

  /** The item shards this node's region holds. */
  private static int itemShards(Rebound node) {
    ShardRegion.CurrentShardRegionState state = await(AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
        ClusterSharding.get(node.system()).shardState(), r -> new GetShardRegionState(ItemEntity.ENTITY_TYPE_KEY, r),
        Duration.ofSeconds(5), node.system().scheduler()));
    return state.getShards().size();
  }

  @Test
  void aNodeThatJoinsAClusterThroughSeedNodesSkipsTheWarmUpSoThatItAllocatesNoShardsBeforeTheOthersJoin() throws Exception {
    try (Rebound alone = Rebound.start(TestNodes.config(dir.resolve("alone"), QUEUES + "rebound.warm-up-lookups = 50"))) {
      assertTrue(itemShards(alone) > 0, "a node of its own warms up: its look-ups allocated item shards");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String joining = QUEUES + "rebound.warm-up-lookups = 50\n"
        + "pekko.remote.artery.canonical.port = " + port + "\n"
        + "pekko.cluster.seed-nodes = [\"pekko://rebound@127.0.0.1:" + port + "\"]\n";
    try (Rebound node = Rebound.start(TestNodes.config(dir.resolve("joining"), joining))) {
      assertEquals(0, itemShards(node), "no look-ups, so no item shard yet");
    }
  }

  @Test
  void aNegativeNumberOfLookUpsIsRefusedNamingTheKey() {
    Config config = ConfigFactory.parseString("rebound.warm-up-lookups = -1").withFallback(ConfigFactory.load());
    ReboundConfigException wrong = assertThrows(ReboundConfigException.class, () -> WarmUp.lookups(config));
    assertTrue(wrong.getMessage().contains("rebound.warm-up-lookups"), wrong.getMessage());
    assertEquals(200, WarmUp.lookups(ConfigFactory.load()), "the default");
  }
}
