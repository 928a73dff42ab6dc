package io.rebound.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rebound cancel ID}: {@code POST /v1/items/{id}/cancel}. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
    description = {"Cancel an item.", "Only a PENDING, WAITING, PARKED or RUNNING item (a running attempt finishes unheeded)."})
public final class CancelCommand extends NodeCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The item's id.")
  String id;

  @Override
  int run(NodeClient client) {
    NodeClient.Reply reply = client.post("/v1/items/" + NodeClient.segment(id) + "/cancel", null);
    if (node.json) {
      out().println(reply.body());
    } else {
      out().println("Cancelled " + Format.cell(reply.json().get("id")) + ": it is now " + Format.cell(reply.json().get("status")));
    }
    return 0;
  }
}
