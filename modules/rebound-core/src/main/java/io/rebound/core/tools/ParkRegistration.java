package io.rebound.core.tools;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a tool's MissingMetadata that an item parked on it, again and again until it acknowledges
 * (a message lost in a handoff or to a node that left would otherwise leave the item parked until
 * max-park, though its tool came back). Park is idempotent, so a repeat after a lost
 * acknowledgement costs nothing. Bound: {@link #ATTEMPTS} asks, {@link #RETRY_DELAY} apart; after
 * that the index's parked rows still get the item released by the next ToolUp.
 */
public final class ParkRegistration {
  private static final Logger LOG = LoggerFactory.getLogger(ParkRegistration.class);
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);
  static final Duration RETRY_DELAY = Duration.ofSeconds(2);
  static final int ATTEMPTS = 30;

  private ParkRegistration() {}

  public static CompletionStage<Done> register(ActorSystem<?> system, RecipientRef<MissingMetadata.Command> tool, String itemId,
      int priority, Instant parkedAt) {
    return register(system, tool, itemId, priority, parkedAt, ASK_TIMEOUT, RETRY_DELAY, ATTEMPTS);
  }

  static CompletionStage<Done> register(ActorSystem<?> system, RecipientRef<MissingMetadata.Command> tool, String itemId,
      int priority, Instant parkedAt, Duration askTimeout, Duration retryDelay, int attempts) {
    CompletionStage<Done> acked = Patterns.retry(
        () -> AskPattern.<MissingMetadata.Command, Done>ask(tool, r -> new MissingMetadata.Park(itemId, priority, parkedAt, r),
            askTimeout, system.scheduler()),
        attempts, retryDelay, Adapter.toClassic(system).scheduler(), system.executionContext());
    return acked.whenComplete((d, e) -> {
      if (e != null) {
        LOG.warn("Item {}: its tool's MissingMetadata never acknowledged the parking ({} asks): {}; the item is released"
            + " by the tool's next ToolUp, else dead-lettered after max-park", itemId, attempts, e.toString());
      }
    });
  }
}
