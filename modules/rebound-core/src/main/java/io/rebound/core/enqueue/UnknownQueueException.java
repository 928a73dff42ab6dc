package io.rebound.core.enqueue;

/** The queue is not configured on this node. */
public class UnknownQueueException extends RuntimeException {
  public UnknownQueueException(String queue) {
    super("no queue named '" + queue + "'");
  }
}
