package io.rebound.core.metrics;

import java.util.concurrent.CompletionStage;

/** What a queue MBean may do to its queue: the facade's pause and resume, and whether it is paused. */
public interface QueueControl {
  void pause(String queue);

  void resume(String queue);

  CompletionStage<Boolean> paused(String queue);
}
