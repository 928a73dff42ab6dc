package io.rebound.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rebound pause QUEUE}: {@code POST /v1/queues/{queue}/pause}. */
@Command(name = "pause", mixinStandardHelpOptions = true,
    description = {"Pause a queue on the node.",
        "It accepts items but starts no attempts; running ones finish. Not persisted: a restarted node runs the queue again."})
public final class PauseCommand extends NodeCommand {
  @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
  String queue;

  @Override
  int run(NodeClient client) {
    return QueueState.change(this, client, queue, "pause");
  }
}
