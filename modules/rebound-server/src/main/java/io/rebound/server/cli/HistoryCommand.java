package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rebound history ID}: {@code GET /v1/items/{id}/history} as a table. */
@Command(name = "history", mixinStandardHelpOptions = true,
    description = {"Show every event of an item, oldest first.", "Stack traces of failures only with --verbose (or --json)."})
public final class HistoryCommand extends NodeCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The item's id.")
  String id;

  @Option(names = {"-v", "--verbose"}, description = "Also print the stack trace of each failed attempt.")
  boolean verbose;

  @Override
  int run(NodeClient client) {
    NodeClient.Reply reply = client.get("/v1/items/" + NodeClient.segment(id) + "/history");
    if (node.json) {
      out().println(reply.body());
      return 0;
    }
    JsonNode events = reply.json().path("events");
    Table table = new Table("AT", "TYPE", "ATTEMPT", "KIND", "MESSAGE");
    for (JsonNode e : events) {
      JsonNode message = e.hasNonNull("message") ? e.get("message") : e.get("reason");
      table.row(Format.cell(e.get("at")), Format.cell(e.get("type")), Format.cell(e.get("attempt")), Format.cell(e.get("kind")),
          Format.cell(message));
    }
    table.print(out());
    if (verbose) {
      for (JsonNode e : events) {
        if (e.hasNonNull("stackTrace")) {
          out().println();
          out().println("Stack trace of attempt " + Format.cell(e.get("attempt")) + " (" + Format.cell(e.get("at")) + "):");
          e.get("stackTrace").asText().lines().forEach(l -> out().println("  " + l));
        }
      }
    }
    return 0;
  }
}
