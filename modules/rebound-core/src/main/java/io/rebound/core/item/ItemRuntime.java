package io.rebound.core.item;

import io.rebound.api.JobHandler;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.dispatch.Dispatcher;
import io.rebound.core.tools.ToolHealth;
import io.rebound.core.tools.ToolSupervisor;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What an item entity needs from its node: the queues' settings and handlers, the node's
 * dispatcher, the executor handlers run on, the clock persisted times come from, and the node's
 * view of its tools, and how many tag slices the read side projects its events in.
 */
public record ItemRuntime(
    Map<String, QueueSettings> queues,
    Map<String, JobHandler> handlers,
    ActorRef<Dispatcher.Command> dispatcher,
    Executor handlerExecutor,
    Clock clock,
    ToolHealth toolHealth,
    ActorRef<ToolSupervisor.Command> toolSupervisor,
    int tagSlices) {}
