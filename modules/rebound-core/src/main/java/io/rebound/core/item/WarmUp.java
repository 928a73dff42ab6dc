package io.rebound.core.item;

import com.typesafe.config.Config;
import io.rebound.api.ErrorKind;
import io.rebound.core.config.ReboundConfigException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * Warms a starting node's item path without writing anything: asks item entities about ids no
 * item has. Each starts in its shard, reads its (empty) journal, answers {@code NotFound} and
 * stops when idle, as an unknown id always does. A cold JVM otherwise makes the first real items
 * pay for the first shard allocations, entity starts, recoveries and the code's first runs: at
 * 500 items/s on a fresh node, their p99 was over a second in the first seconds.
 */
public final class WarmUp {
  static final String KEY = "rebound.warm-up-lookups";

  private WarmUp() {}

  /** {@code rebound.warm-up-lookups}, validated: 0 (off) to 100,000. */
  public static int lookups(Config root) {
    return ReboundConfigException.reading(KEY, () -> {
      int n = root.getInt(KEY);
      if (n < 0 || n > 100_000) {
        throw new IllegalArgumentException("must be between 0 and 100000, was " + n);
      }
      return n;
    });
  }

  /**
   * The look-ups a starting node makes: {@link #lookups}, but none on a node that joins a cluster
   * (pekko.cluster.seed-nodes set, as the node assembly reads it). There the first members up
   * would be given every shard the look-ups touch before the others join, and a rebalance would
   * move them again while the cluster takes its first items. (Its handoffs dropped buffered
   * messages, and LimitsIT lost a batch enqueue to one; {@link HandoffRedelivery} now sends such
   * messages again, so what the skip still saves is the churn.)
   */
  public static int lookupsAtStart(Config root, boolean joinsACluster) {
    return joinsACluster ? 0 : lookups(root);
  }

  /**
   * Writes and reads back one of each event of an item's usual life through the journal's
   * serializer (nothing is stored): its first use builds its encoders and decoders.
   */
  static void serializeEvents(ActorSystem<?> system) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    Instant at = Instant.EPOCH;
    List<ItemEntity.Event> events = List.of(
        new ItemEntity.Enqueued("warm-up", "warm-up", null, "{}", 0, at, null, null),
        new ItemEntity.AttemptStarted(1, 1, at),
        new ItemEntity.AttemptFailed(1, 1, ErrorKind.TRANSIENT, "warm-up", null, at, at),
        new ItemEntity.Succeeded(2, 2, at));
    for (ItemEntity.Event e : events) {
      Serializer s = serialization.findSerializerFor(e);
      byte[] bytes = s.toBinary(e);
      String manifest = Serializers.manifestFor(s, e);
      serialization.deserialize(bytes, s.identifier(), manifest).get();
    }
  }

  /**
   * Asks {@code lookups} entities of random ids at once.
   *
   * @return how many answered that no item has their id (all of them, unless one timed out)
   */
  public static CompletionStage<Integer> run(ActorSystem<?> system, int lookups, Duration timeout) {
    serializeEvents(system);
    ClusterSharding sharding = ClusterSharding.get(system);
    List<CompletableFuture<Boolean>> asks = new ArrayList<>(lookups);
    for (int i = 0; i < lookups; i++) {
      asks.add(sharding.entityRefFor(ItemEntity.ENTITY_TYPE_KEY, UUID.randomUUID().toString())
          .<ItemEntity.Reply>ask(ItemEntity.GetItem::new, timeout)
          .handle((reply, error) -> reply instanceof ItemEntity.NotFound)
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenApply(v -> (int) asks.stream().filter(CompletableFuture::join).count());
  }
}
