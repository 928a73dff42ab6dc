package io.rebound.core.item;

import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.actor.AllDeadLetters;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;

/**
 * Sends an item command once more when a shard region dropped it at a handoff. While a shard
 * moves (a node joins or leaves the cluster), its region buffers the messages for it and, as the
 * handoff begins, drops them rather than risk their reordering (Pekko's {@code ShardRegion}, with
 * the reason "Avoiding reordering of buffered messages at shard handoff"); their senders waited
 * out their ask timeout, an enqueue over HTTP answering 503 after {@code rebound.ask-timeout}.
 * A dropped message was never delivered, so sending it again delivers it once: the region buffers
 * it until the shard's new home is known. Other drops (a full buffer) are left alone, since
 * sending those again would only fill the buffer again.
 */
public final class HandoffRedelivery {
  /** The word in Pekko's reason for the messages a region drops when a handoff begins. */
  static final String HANDOFF = "handoff";

  private HandoffRedelivery() {}

  /** Listens to the node's dead letters and sends the item commands dropped at a handoff to {@code region}. */
  public static Behavior<AllDeadLetters> create(ActorRef<ShardingEnvelope<ItemEntity.Command>> region) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(AllDeadLetters.class, ctx.getSelf()));
      return Behaviors.receiveMessage(letter -> {
        droppedAtHandoff(letter).ifPresent(envelope -> {
          ctx.getLog().info("Sending {} for item {} again: its shard region dropped it as the shard's handoff began",
              envelope.message().getClass().getSimpleName(), envelope.entityId());
          region.tell(envelope);
        });
        return Behaviors.same();
      });
    });
  }

  /**
   * The item command in a dead letter, when a shard region dropped it as a handoff began. The
   * dead-letter ref publishes the region's {@link Dropped} wrapped in a {@link DeadLetter}; both
   * shapes are read.
   */
  @SuppressWarnings("unchecked")
  static Optional<ShardingEnvelope<ItemEntity.Command>> droppedAtHandoff(Object letter) {
    Object m = letter instanceof DeadLetter d ? d.message() : letter;
    if (m instanceof Dropped dropped && dropped.reason() != null && dropped.reason().toLowerCase(Locale.ROOT).contains(HANDOFF)
        && dropped.message() instanceof ShardingEnvelope<?> envelope && envelope.message() instanceof ItemEntity.Command) {
      return Optional.of((ShardingEnvelope<ItemEntity.Command>) envelope);
    }
    return Optional.empty();
  }
}
