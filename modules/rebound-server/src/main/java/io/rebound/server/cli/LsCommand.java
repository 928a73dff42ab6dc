package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rebound ls QUEUE}: {@code GET /v1/queues/{queue}/items} as a table, oldest first. */
@Command(name = "ls", mixinStandardHelpOptions = true,
    description = {"List a queue's items from the node's index, oldest first.", "The index may lag the items by a moment."})
public final class LsCommand extends NodeCommand {
  @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
  String queue;

  @Option(names = "--status", paramLabel = "STATUS", description = "Only items in this status (PENDING, RUNNING, WAITING, PARKED, SUCCEEDED, DEAD_LETTERED, CANCELLED).")
  String status;

  @Option(names = "--kind", paramLabel = "KIND", description = "Only items whose last error is of this kind (TRANSIENT, PERMANENT, TOOL_UNAVAILABLE, TIMEOUT, ORPHANED).")
  String kind;

  @Option(names = "--limit", defaultValue = "50", description = "How many to list (default ${DEFAULT-VALUE}, at most 1000).")
  int limit;

  @Option(names = "--after", paramLabel = "CURSOR", description = "Continue after the page that printed this cursor.")
  String after;

  @Override
  int run(NodeClient client) {
    StringBuilder path = new StringBuilder("/v1/queues/" + NodeClient.segment(queue) + "/items?limit=" + limit);
    param(path, "status", status);
    param(path, "errorKind", kind);
    param(path, "after", after);
    NodeClient.Reply reply = client.send("GET", path.toString(), null, f -> f.equals("errorKind") ? "--kind" : "--" + f);
    if (node.json) {
      out().println(reply.body());
      return 0;
    }
    Table table = new Table("ID", "STATUS", "ATTEMPTS", "PRIORITY", "KEY", "UPDATED", "LAST ERROR");
    for (JsonNode r : reply.json().path("items")) {
      JsonNode err = r.path("lastError");
      String error = err.isObject() ? Format.cell(err.get("kind")) + ": " + Format.cell(err.get("message")) : "-";
      table.row(Format.cell(r.get("id")), Format.cell(r.get("status")), Format.cell(r.get("attempts")), Format.cell(r.get("priority")),
          Format.cell(r.get("key")), Format.cell(r.get("updatedAt")), error);
    }
    if (table.isEmpty()) {
      out().println("No items in " + queue + (status == null ? "" : " with status " + status) + ".");
    } else {
      table.print(out());
    }
    JsonNode next = reply.json().get("next");
    if (next != null && !next.isNull()) {
      // The cursor holds only the position: the next page needs the same filters.
      out().println("More: rebound ls " + queue + (status == null ? "" : " --status " + status) + (kind == null ? "" : " --kind " + kind)
          + " --limit " + limit + " --after " + next.asText());
    }
    return 0;
  }

  private static void param(StringBuilder path, String name, String value) {
    if (value != null) {
      path.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }
  }
}
