package io.rebound.core.item;

import io.rebound.api.JobHandler;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.dispatch.Dispatcher;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What an item entity needs from its node: the queues' settings and handlers, the node's
 * dispatcher, the executor handlers run on, and the clock persisted times come from.
 */
public record ItemRuntime(
    Map<String, QueueSettings> queues,
    Map<String, JobHandler> handlers,
    ActorRef<Dispatcher.Command> dispatcher,
    Executor handlerExecutor,
    Clock clock) {}
