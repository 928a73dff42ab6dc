package io.rebound.core.tools;

import java.time.Instant;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * How an item tells the tools it parked on: the item's side of the protocol between items and
 * tools, so that items need not know the tools' actors (and the tools not the items': see {@link
 * Unparker}).
 */
@FunctionalInterface
public interface ToolParkings {
  /** Nobody listens (tests of one item outside a node): a parked item waits for its due time. */
  ToolParkings NONE = (tool, itemId, priority, parkedAt) -> {};

  /** Tells the tool's MissingMetadata that the item parked on it at {@code parkedAt}, until acknowledged. */
  void parked(String tool, String itemId, int priority, Instant parkedAt);

  /** Through Cluster Sharding to each tool's MissingMetadata, with {@link ParkRegistration}'s retries. */
  static ToolParkings of(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return (tool, itemId, priority, parkedAt) ->
        ParkRegistration.register(system, sharding.entityRefFor(MissingMetadata.ENTITY_TYPE_KEY, tool), itemId, priority, parkedAt);
  }
}
