package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rebound stats [QUEUE]}: {@code GET /v1/queues/{queue}/stats} for one queue or all of them. */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "Items per status, the oldest pending age and retry figures, per queue.")
public final class StatsCommand extends NodeCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "QUEUE", description = "One queue (default: every queue).")
  String queue;

  @Override
  int run(NodeClient client) {
    List<String> queues = new ArrayList<>();
    if (queue != null) {
      queues.add(queue);
    } else {
      client.get("/v1/queues").json().path("queues").forEach(q -> queues.add(q.path("name").asText()));
    }
    List<JsonNode> stats = new ArrayList<>();
    for (String q : queues) {
      stats.add(client.get("/v1/queues/" + NodeClient.segment(q) + "/stats").json());
    }
    if (node.json) {
      out().println(NodeClient.MAPPER.createObjectNode().set("queues", NodeClient.MAPPER.valueToTree(stats)).toString());
      return 0;
    }
    Table table = new Table("QUEUE", "PENDING", "RUNNING", "WAITING", "PARKED", "SUCCEEDED", "DEAD", "CANCELLED",
        "OLDEST PENDING", "AVG ATTEMPTS", "MAX ATTEMPTS", "PAUSED");
    for (JsonNode s : stats) {
      JsonNode c = s.path("counts");
      JsonNode age = s.get("oldestPendingAgeSeconds");
      table.row(Format.cell(s.get("queue")), Format.cell(c.get("PENDING")), Format.cell(c.get("RUNNING")), Format.cell(c.get("WAITING")),
          Format.cell(c.get("PARKED")), Format.cell(c.get("SUCCEEDED")), Format.cell(c.get("DEAD_LETTERED")), Format.cell(c.get("CANCELLED")),
          age == null || age.isNull() ? "-" : Format.duration(Duration.ofSeconds(age.asLong())),
          String.format("%.2f", s.path("retry").path("averageAttempts").asDouble()), Format.cell(s.path("retry").get("maxAttempts")),
          s.path("paused").asBoolean() ? "yes" : "no");
    }
    if (table.isEmpty()) {
      out().println("The node has no queues (rebound.queues in its config).");
    } else {
      table.print(out());
    }
    return 0;
  }
}
