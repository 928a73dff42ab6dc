package io.rebound.core.metrics;

/**
 * A queue as JMX shows it: {@code io.rebound:type=Queue,name=<queue>}. Depths come from the read
 * side (cluster-wide); rates and failures count this node's items.
 */
public interface QueueMXBean {
  /** Items not in a terminal status. */
  long getDepth();

  long getPending();

  long getRunning();

  long getWaiting();

  long getParked();

  long getDeadLettered();

  double getItemsPerSecond1m();

  double getItemsPerSecond5m();

  /** Failed attempts on this node since it started. */
  long getFailures();

  boolean isPaused();

  /** The node (its unique cluster address) that registered this bean. */
  String getNode();

  void pause();

  void resume();
}
