package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemIds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GET, cancel or redrive of an id no item has is answered without starting an entity for it. */
class UnknownIdsTest {
  @TempDir Path dir;

  private static Set<String> entities(Rebound node) {
    ShardRegion.CurrentShardRegionState state = await(AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
        ClusterSharding.get(node.system()).shardState(),
        r -> new GetShardRegionState(ItemEntity.ENTITY_TYPE_KEY, r), Duration.ofSeconds(5), node.system().scheduler()));
    return state.getShards().stream().flatMap(s -> s.getEntityIds().stream()).collect(Collectors.toSet());
  }

  private static Throwable cause(java.util.concurrent.CompletionStage<?> stage) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> stage.toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS));
    return e.getCause();
  }

  @Test
  void unknown_ids_are_answered_not_found_and_no_item_entity_starts() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, "rebound.queues.q.handler.type = simulated"))) {
      String known = await(node.enqueue("q", EnqueueRequest.builder("{}").build())).item().id();
      String unknown = ItemIds.random();

      assertEquals(Optional.empty(), await(node.status(unknown)));
      assertInstanceOf(ItemNotFoundException.class, cause(node.cancel(unknown)));
      assertInstanceOf(ItemNotFoundException.class, cause(node.redrive(unknown)));

      // The known item is still answered by its entity.
      assertTrue(await(node.status(known)).isPresent());
      Set<String> running = entities(node);
      assertTrue(!running.contains(unknown), "no entity for the unknown id: " + running);
      assertEquals(0, TestNodes.eventsInJournal(node, "Enqueued") - 1, "one item, the known one");
    }
  }

  @Test
  void an_id_the_index_does_not_show_yet_but_the_journal_has_is_still_found() {
    String queues = "rebound.queues.q.handler.type = simulated\nrebound.index.group-within = 10s\nrebound.index.group-size = 1000";
    try (Rebound node = Rebound.start(TestNodes.config(dir, queues), Map.of())) {
      String id = await(node.enqueue("q", EnqueueRequest.builder("{}").build())).item().id();
      // The index groups for 10s: the row is not there yet, the journal's event is.
      assertTrue(await(node.status(id)).isPresent());
    }
  }
}
