package io.rebound.server.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rebound dlq redrive QUEUE}: dead letters in bulk. */
@Command(name = "dlq", mixinStandardHelpOptions = true, description = "Work with a queue's dead letters.",
    subcommands = DlqCommand.Redrive.class)
public final class DlqCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: rebound dlq redrive QUEUE [--kind KIND]");
  }

  /** {@code POST /v1/queues/{queue}/dead-letters/redrive}. */
  @Command(name = "redrive", mixinStandardHelpOptions = true,
      description = {"Send a queue's dead letters back, at the node's bounded rate.", "Filters: error kind, when they died, how many."})
  public static final class Redrive extends NodeCommand {
    @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
    String queue;

    @Option(names = "--kind", paramLabel = "KIND", description = "Only dead letters whose last error is of this kind.")
    String kind;

    @Option(names = "--from", paramLabel = "INSTANT", description = "Only those dead-lettered at or after this time (2026-01-31T12:00:00Z).")
    String from;

    @Option(names = "--to", paramLabel = "INSTANT", description = "Only those dead-lettered before this time.")
    String to;

    @Option(names = "--max", paramLabel = "N", description = "At most this many (the node's default: 1000).")
    Integer max;

    @Override
    int run(NodeClient client) {
      ObjectNode body = NodeClient.MAPPER.createObjectNode();
      if (kind != null) {
        body.put("errorKind", kind);
      }
      if (from != null) {
        body.put("from", from);
      }
      if (to != null) {
        body.put("to", to);
      }
      if (max != null) {
        body.put("max", max);
      }
      NodeClient.Reply reply = client.send("POST", "/v1/queues/" + NodeClient.segment(queue) + "/dead-letters/redrive", body,
          f -> f.equals("errorKind") ? "--kind" : "--" + f);
      if (node.json) {
        out().println(reply.body());
      } else {
        long n = reply.json().path("matched").asLong();
        out().println("Redriving " + Format.count(n, "dead letter") + " of " + queue + " at up to "
            + reply.json().path("ratePerSecond").asLong() + "/s.");
      }
      return 0;
    }
  }
}
