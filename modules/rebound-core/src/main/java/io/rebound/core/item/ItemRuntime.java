package io.rebound.core.item;

import io.rebound.api.JobHandler;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.dispatch.Dispatcher;
import io.rebound.core.tools.ToolHealth;
import io.rebound.core.tools.ToolParkings;
import io.rebound.core.tools.ToolSupervisor;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What an item entity needs from its node: the queues' settings and handlers, the node's
 * dispatcher, the executor handlers run on, the clock persisted times come from, and the node's
 * view of its tools, how many tag slices the read side projects its events in, and the horizon:
 * an item whose next step is further away than this leaves memory until the waker wakes it.
 *
 * @param fallback the settings of an item whose queue is no longer configured ({@code rebound.queue-defaults})
 * @param parkings how a parked item tells the tools it waits for
 */
public record ItemRuntime(
    Map<String, QueueSettings> queues,
    Map<String, JobHandler> handlers,
    ActorRef<Dispatcher.Command> dispatcher,
    Executor handlerExecutor,
    Clock clock,
    ToolHealth toolHealth,
    ActorRef<ToolSupervisor.Command> toolSupervisor,
    int tagSlices,
    Duration horizon,
    boolean firstAttemptInEnqueue,
    QueueSettings fallback,
    ToolParkings parkings) {

  /**
   * Without the first attempt in the enqueue's write (every item's first attempt asks for its
   * permit after it is enqueued), the builder's queue defaults and no tools listening (tests of
   * items outside a node).
   */
  public ItemRuntime(Map<String, QueueSettings> queues, Map<String, JobHandler> handlers, ActorRef<Dispatcher.Command> dispatcher,
      Executor handlerExecutor, Clock clock, ToolHealth toolHealth, ActorRef<ToolSupervisor.Command> toolSupervisor, int tagSlices,
      Duration horizon) {
    this(queues, handlers, dispatcher, handlerExecutor, clock, toolHealth, toolSupervisor, tagSlices, horizon, false);
  }

  /** The builder's queue defaults and no tools listening (tests of items outside a node). */
  public ItemRuntime(Map<String, QueueSettings> queues, Map<String, JobHandler> handlers, ActorRef<Dispatcher.Command> dispatcher,
      Executor handlerExecutor, Clock clock, ToolHealth toolHealth, ActorRef<ToolSupervisor.Command> toolSupervisor, int tagSlices,
      Duration horizon, boolean firstAttemptInEnqueue) {
    this(queues, handlers, dispatcher, handlerExecutor, clock, toolHealth, toolSupervisor, tagSlices, horizon, firstAttemptInEnqueue,
        QueueSettings.builder("defaults").build(), ToolParkings.NONE);
  }

  /** Items that never leave memory for a due time (tests of one item outside sharding). */
  public ItemRuntime(Map<String, QueueSettings> queues, Map<String, JobHandler> handlers, ActorRef<Dispatcher.Command> dispatcher,
      Executor handlerExecutor, Clock clock, ToolHealth toolHealth, ActorRef<ToolSupervisor.Command> toolSupervisor, int tagSlices) {
    this(queues, handlers, dispatcher, handlerExecutor, clock, toolHealth, toolSupervisor, tagSlices, FOREVER);
  }

  /** A horizon no due time reaches: nothing leaves memory for being far off. */
  static final Duration FOREVER = Duration.ofDays(365_000);
}
