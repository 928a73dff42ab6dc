package io.rebound.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rebound resume QUEUE}: {@code POST /v1/queues/{queue}/resume}. */
@Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused queue on the node.")
public final class ResumeCommand extends NodeCommand {
  @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
  String queue;

  @Override
  int run(NodeClient client) {
    return QueueState.change(this, client, queue, "resume");
  }
}
