package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rebound tools}: each tool with its state and parked count ({@code GET /v1/tools});
 * {@code --parked NAME} lists the items parked on one, {@code --release NAME} releases them.
 */
@Command(name = "tools", mixinStandardHelpOptions = true, description = "List tools, their state and parked items; release them.")
public final class ToolsCommand extends NodeCommand {

  @Option(names = "--parked", paramLabel = "TOOL", description = "List the items parked on this tool, in release order.")
  String parked;

  @Option(names = "--limit", defaultValue = "20", description = "With --parked: how many to list (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--release", paramLabel = "TOOL", description = "Release every item parked on this tool now.")
  String release;

  @Override
  int run(NodeClient client) {
    if (release != null) {
      NodeClient.Reply reply = client.post("/v1/tools/" + NodeClient.segment(release) + "/release", null);
      out().println(node.json ? reply.body()
          : "Releasing " + Format.count(reply.json().path("releasing").asLong(), "item") + " parked on " + release + ".");
      return 0;
    }
    if (parked != null) {
      NodeClient.Reply reply = client.get("/v1/tools/" + NodeClient.segment(parked) + "/parked?limit=" + limit);
      if (node.json) {
        out().println(reply.body());
        return 0;
      }
      JsonNode p = reply.json();
      out().println(Format.count(p.path("count").asLong(), "item") + " parked on " + parked + ":");
      p.path("items").forEach(id -> out().println("  " + id.asText()));
      return 0;
    }
    NodeClient.Reply reply = client.get("/v1/tools");
    if (node.json) {
      out().println(reply.body());
      return 0;
    }
    Table table = new Table("NAME", "STATE", "SINCE", "PARKED", "BREAKER", "LAST ERROR");
    for (JsonNode t : reply.json().path("tools")) {
      table.row(Format.cell(t.get("name")), Format.cell(t.get("state")), Format.cell(t.get("since")), Format.cell(t.get("parked")),
          t.path("breakerOpen").asBoolean() ? "open" : "closed", Format.cell(t.get("lastError")));
    }
    if (table.isEmpty()) {
      out().println("The node has no tools (rebound.tools in its config).");
    } else {
      table.print(out());
    }
    return 0;
  }
}
