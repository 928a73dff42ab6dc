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

  @Option(names = "--at", paramLabel = "INSTANT",
      description = "Show the item as it was at this ISO-8601 instant (e.g. 2026-11-30T10:00:00Z), and its events up to then.")
  String at;

  @Override
  int run(NodeClient client) {
    String query = at == null ? "" : "?at=" + java.net.URLEncoder.encode(at, java.nio.charset.StandardCharsets.UTF_8);
    NodeClient.Reply reply = client.get("/v1/items/" + NodeClient.segment(id) + "/history" + query);
    if (node.json) {
      out().println(reply.body());
      return 0;
    }
    if (at != null) {
      printState(reply.json());
    }
    JsonNode events = reply.json().path("events");
    Table table = new Table("AT", "TYPE", "ATTEMPT", "KIND", "MESSAGE");
    for (JsonNode e : events) {
      JsonNode message = e.hasNonNull("message") ? e.get("message") : e.get("reason");
      table.row(Format.cell(e.get("at")), Format.cell(e.get("type")), Format.cell(e.get("attempt")), Format.cell(e.get("kind")),
          Format.cell(message));
    }
    if (!table.isEmpty()) {
      table.print(out());
    }
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

  /** The item's state at --at, as key/value lines, then a blank line before its events. */
  private void printState(JsonNode r) {
    JsonNode item = r.path("item");
    if (item.isNull() || item.isMissingNode()) {
      out().println("At " + r.path("at").asText() + " the item was not enqueued yet.");
      return;
    }
    out().println("At " + r.path("at").asText() + ":");
    Table facts = new Table("KEY", "VALUE");
    facts.row("status", Format.cell(item.get("status")));
    facts.row("attempts", Format.cell(item.get("attempts")) + " of " + Format.cell(item.get("maxAttempts")));
    facts.row("next attempt", Format.cell(item.get("nextAttemptAt")));
    JsonNode err = item.path("lastError");
    facts.row("last error", err.isMissingNode() || err.isNull() ? "-" : Format.cell(err.get("kind")) + ": " + Format.cell(err.get("message")));
    facts.row("updated", Format.cell(item.get("updatedAt")));
    facts.printRows(out());
    out().println();
  }
}
