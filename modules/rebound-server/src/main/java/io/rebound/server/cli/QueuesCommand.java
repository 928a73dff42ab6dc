package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code rebound queues}: {@code GET /v1/queues} as a table. */
@Command(name = "queues", mixinStandardHelpOptions = true, description = "List the node's queues.")
public final class QueuesCommand extends NodeCommand {

  @Override
  int run(NodeClient client) {
    NodeClient.Reply reply = client.get("/v1/queues");
    if (node.json) {
      out().println(reply.body());
      return 0;
    }
    Table table = new Table("NAME", "CONCURRENCY", "PAUSED", "MAX ATTEMPTS", "BACKOFF");
    for (JsonNode q : reply.json().path("queues")) {
      JsonNode r = q.path("retry");
      table.row(Format.cell(q.get("name")), Format.cell(q.get("concurrency")), q.path("paused").asBoolean() ? "yes" : "no",
          Format.cell(r.get("maxAttempts")), backoff(r));
    }
    if (table.isEmpty()) {
      out().println("The node has no queues (rebound.queues in its config).");
    } else {
      table.print(out());
    }
    return 0;
  }

  /** {@code exponential 1s x2.0 up to 1h, jitter full} or {@code schedule 1m 5m 15m 1h, jitter full}. */
  static String backoff(JsonNode r) {
    String jitter = ", jitter " + Format.cell(r.get("jitter"));
    if ("schedule".equals(r.path("backoff").asText())) {
      List<String> steps = new ArrayList<>();
      r.path("schedule").forEach(d -> steps.add(Format.duration(d.asText())));
      return "schedule " + String.join(" ", steps) + jitter;
    }
    return Format.cell(r.get("backoff")) + " " + Format.duration(r.path("initial").asText(null)) + " x" + Format.cell(r.get("multiplier"))
        + " up to " + Format.duration(r.path("maxInterval").asText(null)) + jitter;
  }
}
