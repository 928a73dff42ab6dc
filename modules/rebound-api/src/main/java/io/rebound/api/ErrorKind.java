package io.rebound.api;

/** Why an attempt failed; decides what happens to the item next. */
public enum ErrorKind {
  /** Worth retrying with backoff ({@link TransientException}, or any unclassified exception). */
  TRANSIENT,
  /** Retrying cannot help ({@link PermanentException}): the item is dead-lettered at once. */
  PERMANENT,
  /** A tool the handler needs is down: the item is parked and the attempt is not counted. */
  TOOL_UNAVAILABLE,
  /** No outcome and no heartbeat within the queue's attempt timeout: retried like TRANSIENT. */
  TIMEOUT,
  /** The node died mid-attempt; found on recovery and retried like TRANSIENT (the attempt counts). */
  ORPHANED;

  /** Kinds that burn an attempt and follow the retry policy. */
  public boolean isRetryable() {
    return this == TRANSIENT || this == TIMEOUT || this == ORPHANED;
  }
}
