package io.rebound.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rebound replay QUEUE --since 7d --retry '{...}'}: {@code POST /v1/queues/{queue}/replay} as a table. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {"What would another retry policy have done? Replays the recorded attempts of the queue's items",
        "that ended (or are still going) in the window under the given policy; read-only (docs/REPLAY.md)."})
public final class ReplayCommand extends NodeCommand {
  @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
  String queue;

  @Option(names = "--since", required = true, paramLabel = "WHEN",
      description = "How far back: a duration (7d, 12h) or an ISO-8601 instant.")
  String since;

  @Option(names = "--until", paramLabel = "INSTANT", description = "The window's end (default: now).")
  String until;

  @Option(names = "--retry", required = true, paramLabel = "JSON",
      description = "The policy to replay, as on enqueue, e.g. '{\"maxAttempts\":8,\"backoff\":\"exponential\",\"initial\":\"30s\"}'.")
  String retry;

  @Option(names = "--limit", paramLabel = "N", description = "How many changed items to list (default 100).")
  Integer limit;

  @Option(names = "--after", paramLabel = "CURSOR", description = "List changed items after this cursor (with --since/--until of that answer).")
  String after;

  @Override
  int run(NodeClient client) {
    ObjectNode body = NodeClient.MAPPER.createObjectNode();
    body.put("since", since);
    if (until != null) {
      body.put("until", until);
    }
    try {
      body.set("retry", NodeClient.MAPPER.readTree(retry));
    } catch (JsonProcessingException e) {
      throw new CliException("--retry is not valid JSON: " + e.getOriginalMessage());
    }
    if (limit != null) {
      body.put("limit", limit);
    }
    if (after != null) {
      body.put("after", after);
    }
    NodeClient.Reply reply = client.post("/v1/queues/" + NodeClient.segment(queue) + "/replay", body);
    if (node.json) {
      out().println(reply.body());
      return 0;
    }
    print(reply.json());
    return 0;
  }

  private void print(JsonNode r) {
    JsonNode w = r.path("window");
    out().println("Queue " + r.path("queue").asText() + ", " + Format.count(r.path("items").asLong(), "item")
        + " changed from " + w.path("from").asText() + " to " + w.path("to").asText());
    out().println("Replayed under " + r.path("policy").asText());
    out().println();
    Table table = new Table("", "RECORDED", "REPLAYED");
    JsonNode rec = r.path("recorded");
    JsonNode rep = r.path("replayed");
    table.row("succeeded", Format.cell(rec.get("SUCCEEDED")), Format.cell(rep.get("SUCCEEDED")));
    table.row("dead-lettered", Format.cell(rec.get("DEAD_LETTERED")), Format.cell(rep.get("DEAD_LETTERED")));
    table.row("cancelled", Format.cell(rec.get("CANCELLED")), Format.cell(rep.get("CANCELLED")));
    table.row("still open / unknown", Format.cell(rec.get("OPEN")), Format.cell(rep.get("UNKNOWN")));
    table.row("attempts", Format.cell(r.path("attempts").get("recorded")), Format.cell(r.path("attempts").get("replayed")));
    JsonNode t = r.path("timeToSuccess");
    table.row("time to success p50", time(t.path("recorded").get("p50")), time(t.path("replayed").get("p50")));
    table.row("time to success p99", time(t.path("recorded").get("p99")), time(t.path("replayed").get("p99")));
    table.print(out());
    out().println();
    Table kinds = new Table("LAST ERROR", "ITEMS", "SUCCEEDED", "→", "DEAD", "→", "UNKNOWN");
    r.path("byErrorKind").fields().forEachRemaining(e -> {
      JsonNode k = e.getValue();
      kinds.row(e.getKey(), Format.cell(k.get("items")), Format.cell(k.path("recorded").get("SUCCEEDED")),
          Format.cell(k.path("replayed").get("SUCCEEDED")), Format.cell(k.path("recorded").get("DEAD_LETTERED")),
          Format.cell(k.path("replayed").get("DEAD_LETTERED")), Format.cell(k.path("replayed").get("UNKNOWN")));
    });
    if (!kinds.isEmpty()) {
      kinds.print(out());
      out().println();
    }
    JsonNode changed = r.path("changed");
    out().println(Format.count(changed.path("total").asLong(), "item") + " would end otherwise"
        + (changed.path("items").isEmpty() ? "." : ":"));
    Table items = new Table("ID", "RECORDED", "REPLAYED", "ATTEMPTS", "REPLAYED ATTEMPTS");
    for (JsonNode c : changed.path("items")) {
      items.row(Format.cell(c.get("id")), Format.cell(c.get("recorded")), Format.cell(c.get("replayed")),
          Format.cell(c.path("attempts").get("recorded")), Format.cell(c.path("attempts").get("replayed")));
    }
    if (!items.isEmpty()) {
      items.print(out());
    }
    if (changed.hasNonNull("next")) {
      out().println("More: --since " + w.path("from").asText() + " --until " + w.path("to").asText()
          + " --after " + changed.get("next").asText());
    }
  }

  private static String time(JsonNode iso) {
    return iso == null || iso.isNull() ? "-" : Format.duration(iso.asText());
  }
}
