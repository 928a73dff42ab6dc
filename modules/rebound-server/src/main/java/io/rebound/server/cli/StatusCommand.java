package io.rebound.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rebound status ID}: {@code GET /v1/items/{id}}. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show an item: status, attempts, last error, payload.")
public final class StatusCommand extends NodeCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The item's id.")
  String id;

  @Override
  int run(NodeClient client) {
    NodeClient.Reply reply = client.get("/v1/items/" + NodeClient.segment(id));
    if (node.json) {
      out().println(reply.body());
    } else {
      Items.print(reply.json(), out());
    }
    return 0;
  }
}
