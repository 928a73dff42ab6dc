package io.rebound.core.metrics;

import io.rebound.core.item.ItemStatus;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** One queue's MBean: reads the Metrics actor's latest snapshot, pauses through the facade. */
final class QueueBean implements QueueMXBean {
  private final String queue;
  private final String node;
  private final Supplier<MetricsSnapshot> snapshot;
  private final QueueControl control;
  private final Duration timeout;

  QueueBean(String queue, String node, Supplier<MetricsSnapshot> snapshot, QueueControl control, Duration timeout) {
    this.queue = queue;
    this.node = node;
    this.snapshot = snapshot;
    this.control = control;
    this.timeout = timeout;
  }

  private QueueFigures figures() {
    return snapshot.get().queue(queue);
  }

  @Override
  public long getDepth() {
    return figures().openDepth();
  }

  @Override
  public long getPending() {
    return figures().depth(ItemStatus.PENDING);
  }

  @Override
  public long getRunning() {
    return figures().depth(ItemStatus.RUNNING);
  }

  @Override
  public long getWaiting() {
    return figures().depth(ItemStatus.WAITING);
  }

  @Override
  public long getParked() {
    return figures().depth(ItemStatus.PARKED);
  }

  @Override
  public long getDeadLettered() {
    return figures().depth(ItemStatus.DEAD_LETTERED);
  }

  @Override
  public double getItemsPerSecond1m() {
    return figures().itemsPerSecond1m();
  }

  @Override
  public double getItemsPerSecond5m() {
    return figures().itemsPerSecond5m();
  }

  @Override
  public long getFailures() {
    return figures().attemptFailures();
  }

  @Override
  public boolean isPaused() {
    // A JMX client's thread, never an actor's: waiting for the dispatcher's answer is fine here.
    try {
      return control.paused(queue).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking whether " + queue + " is paused");
    } catch (Exception e) {
      throw new IllegalStateException("cannot tell whether " + queue + " is paused: " + e);
    }
  }

  @Override
  public String getNode() {
    return node;
  }

  @Override
  public void pause() {
    control.pause(queue);
  }

  @Override
  public void resume() {
    control.resume(queue);
  }
}
