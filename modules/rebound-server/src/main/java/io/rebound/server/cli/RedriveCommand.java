package io.rebound.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rebound redrive ID}: {@code POST /v1/items/{id}/redrive}. */
@Command(name = "redrive", mixinStandardHelpOptions = true,
    description = {"Send a dead-lettered item back to its queue.", "Its attempts start again from 1."})
public final class RedriveCommand extends NodeCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The item's id.")
  String id;

  @Override
  int run(NodeClient client) {
    NodeClient.Reply reply = client.post("/v1/items/" + NodeClient.segment(id) + "/redrive", null);
    if (node.json) {
      out().println(reply.body());
    } else {
      out().println("Redriven " + Format.cell(reply.json().get("id")) + ": it is now " + Format.cell(reply.json().get("status")));
    }
    return 0;
  }
}
