package io.rebound.core.tools;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * How a tool's MissingMetadata asks a parked item to unpark: the tools' side of the protocol
 * between items and tools, wired by the node's assembly, so that tools need not know the item actor.
 */
@FunctionalInterface
public interface Unparker {
  /** Asks the item to unpark; completes once it has (or was not parked any more). */
  CompletionStage<Done> unpark(String itemId, Duration timeout);
}
