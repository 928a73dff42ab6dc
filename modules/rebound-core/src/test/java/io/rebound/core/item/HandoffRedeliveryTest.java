package io.rebound.core.item;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item commands a shard region dropped as a handoff began are sent again. The drop itself is
 * Pekko's (a region's buffer for a moving shard, published as a {@code Dropped} in a {@code
 * DeadLetter} with the reason below, as pekko-cluster-sharding 1.x does); here it is published
 * the same way, since a real handoff drop needs a busy cluster at the moment a shard moves.
 */
class HandoffRedeliveryTest {
  /** The reason Pekko's ShardRegion gives (ShardRegion, HandOff: MessageBufferMap.drop). */
  private static final String PEKKO_HANDOFF_REASON = "Avoiding reordering of buffered messages at shard handoff";

  /** Only for a ref to put in a DeadLetter, which may not hold null ones. */
  private static final ActorTestKit KIT = ActorTestKit.create();
  private static final ActorRef REF = Adapter.toClassic(KIT.system()).deadLetters();

  @TempDir Path dir;

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  private static ItemEntity.Enqueue enqueue(org.apache.pekko.actor.typed.ActorRef<ItemEntity.Reply> replyTo) {
    return new ItemEntity.Enqueue("work", null, "{}", 0, null, null, replyTo, null, null);
  }

  @Test
  void aCommandDroppedAtAHandoffIsReadInBothShapesTheDeadLetterRefPublishes() {
    ShardingEnvelope<ItemEntity.Command> envelope = new ShardingEnvelope<>(ItemIds.random(), new ItemEntity.Wake(null));
    Dropped dropped = new Dropped(envelope, PEKKO_HANDOFF_REASON, ActorRef.noSender(), ActorRef.noSender());

    assertEquals(Optional.of(envelope), HandoffRedelivery.droppedAtHandoff(new DeadLetter(dropped, REF, REF)));
    assertEquals(Optional.of(envelope), HandoffRedelivery.droppedAtHandoff(dropped));
  }

  @Test
  void otherDeadLettersAreLeftAlone() {
    ShardingEnvelope<ItemEntity.Command> envelope = new ShardingEnvelope<>(ItemIds.random(), new ItemEntity.Wake(null));
    // A full buffer: sent again, it would only fill the buffer again.
    assertEquals(Optional.empty(), HandoffRedelivery.droppedAtHandoff(
        new Dropped(envelope, "Buffer for [x] is full", ActorRef.noSender(), ActorRef.noSender())));
    // A message to a stopped region or entity, not a drop.
    assertEquals(Optional.empty(), HandoffRedelivery.droppedAtHandoff(new DeadLetter(envelope, REF, REF)));
    // Another entity type's message, and an item command without its envelope (no id to send it to).
    assertEquals(Optional.empty(), HandoffRedelivery.droppedAtHandoff(
        new Dropped(new ShardingEnvelope<>("tool", "ToolUp"), PEKKO_HANDOFF_REASON, ActorRef.noSender(), ActorRef.noSender())));
    assertEquals(Optional.empty(), HandoffRedelivery.droppedAtHandoff(
        new Dropped(new ItemEntity.Wake(null), PEKKO_HANDOFF_REASON, ActorRef.noSender(), ActorRef.noSender())));
  }

  @Test
  void anEnqueueDroppedAtAHandoffReachesItsItemAndItsCallerGetsTheAnswer() throws Exception {
    try (Rebound node = Rebound.start(TestNodes.config(dir, "rebound.queues.work.handler.type = simulated"))) {
      TestProbe<ItemEntity.Reply> caller = TestProbe.create(node.system());
      String id = ItemIds.random();
      Dropped dropped = new Dropped(new ShardingEnvelope<>(id, enqueue(caller.getRef())), PEKKO_HANDOFF_REASON,
          ActorRef.noSender(), ActorRef.noSender());
      // As the dead-letter ref publishes what a region drops.
      Adapter.toClassic(node.system()).deadLetters().tell(dropped, ActorRef.noSender());

      ItemEntity.Accepted accepted = assertInstanceOf(ItemEntity.Accepted.class, caller.receiveMessage(Duration.ofSeconds(20)));
      assertEquals(id, accepted.item().id());
      assertTrue(accepted.created());
      assertTrue(TestNodes.await(node.status(id)).isPresent(), "the item exists");
      caller.expectNoMessage(Duration.ofMillis(300));
    }
  }
}
