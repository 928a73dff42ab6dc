package io.rebound.core.item;

import io.rebound.api.ErrorKind;
import java.time.Instant;

/**
 * Published on the node's event stream each time an item of this node changes status, once the
 * change is persisted. Node-local and not durable: the journal is the record, this is for live
 * views (progress, metrics).
 *
 * @param lastError the message of the item's last failure (with {@code lastErrorKind}), or null
 * @param cause why the item moved, so that counting needs no guessing
 * @param attemptStartedAt when the attempt this transition ends started, if it ran on this node
 *     (its handler ran here); null when the transition ends no attempt
 */
public record ItemTransition(
    String id, String queue, ItemStatus status, int attempts, ErrorKind lastErrorKind, Instant createdAt, Instant at,
    String lastError, Cause cause, Instant attemptStartedAt) {

  /** Why an item moved. */
  public enum Cause {
    /** A new item was accepted (PENDING). */
    ENQUEUED,
    /** An attempt started (RUNNING). */
    ATTEMPT_STARTED,
    /** The attempt succeeded (SUCCEEDED). */
    SUCCEEDED,
    /** An attempt failed: it backs off (WAITING) or has no attempt left (DEAD_LETTERED). */
    ATTEMPT_FAILED,
    /** The handler said a tool it needs is unavailable: the attempt is given back (PARKED). */
    ATTEMPT_PARKED,
    /** A tool was down when its permit came: parked before any attempt (PARKED). */
    PARKED_BEFORE_ATTEMPT,
    /** Its tools are back, or its park-retry is over (PENDING). */
    UNPARKED,
    /** Parked longer than max-park (DEAD_LETTERED). */
    PARK_EXPIRED,
    /** Cancelled (CANCELLED). */
    CANCELLED,
    /** A dead letter was sent back (PENDING). */
    REDRIVEN
  }
}
