package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code rebound schedules}: the recurring schedules with their next and last ticks ({@code GET
 * /v1/schedules}); {@code rebound schedules pause|resume|trigger NAME} changes one.
 */
@Command(name = "schedules", mixinStandardHelpOptions = true,
    description = {"List the recurring schedules with their next and last ticks.", "Pause, resume or trigger one with a subcommand."},
    subcommands = {SchedulesCommand.Pause.class, SchedulesCommand.Resume.class, SchedulesCommand.Trigger.class})
public final class SchedulesCommand extends NodeCommand {

  @Override
  int run(NodeClient client) {
    NodeClient.Reply reply = client.get("/v1/schedules");
    if (node.json) {
      out().println(reply.body());
      return 0;
    }
    Table table = new Table("NAME", "CRON", "ZONE", "QUEUE", "STATE", "NEXT TICK", "LAST TICK", "LAST ITEM");
    for (JsonNode s : reply.json().path("schedules")) {
      table.row(Format.cell(s.get("name")), Format.cell(s.get("cron")), Format.cell(s.get("zone")), Format.cell(s.get("queue")),
          s.path("paused").asBoolean() ? "paused" : "active", Format.cell(s.get("nextTick")), Format.cell(s.get("lastTick")),
          Format.cell(s.get("lastItemId")));
    }
    if (table.isEmpty()) {
      out().println("The node has no schedules (rebound.schedules in its config).");
    } else {
      table.print(out());
    }
    return 0;
  }

  /** One line about a schedule after a change. */
  static String line(JsonNode s) {
    return s.path("name").asText() + " is " + (s.path("paused").asBoolean() ? "paused" : "active")
        + (s.path("nextTick").isTextual() ? ", next tick " + s.path("nextTick").asText() : "") + ".";
  }

  /** {@code POST /v1/schedules/{name}/pause}. */
  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = {"Pause a schedule: its ticks make no items until resumed.", "Durable: it stays paused across restarts."})
  public static final class Pause extends NodeCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The schedule.")
    String name;

    @Override
    int run(NodeClient client) {
      NodeClient.Reply reply = client.post("/v1/schedules/" + NodeClient.segment(name) + "/pause", null);
      out().println(node.json ? reply.body() : line(reply.json()));
      return 0;
    }
  }

  /** {@code POST /v1/schedules/{name}/resume}. */
  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = {"Resume a paused schedule from its next tick.", "The ticks while it was paused are not made up."})
  public static final class Resume extends NodeCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The schedule.")
    String name;

    @Override
    int run(NodeClient client) {
      NodeClient.Reply reply = client.post("/v1/schedules/" + NodeClient.segment(name) + "/resume", null);
      out().println(node.json ? reply.body() : line(reply.json()));
      return 0;
    }
  }

  /** {@code POST /v1/schedules/{name}/trigger}. */
  @Command(name = "trigger", mixinStandardHelpOptions = true,
      description = {"Enqueue one item of a schedule now, apart from its ticks (paused or not)."})
  public static final class Trigger extends NodeCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The schedule.")
    String name;

    @Override
    int run(NodeClient client) {
      NodeClient.Reply reply = client.post("/v1/schedules/" + NodeClient.segment(name) + "/trigger", null);
      out().println(node.json ? reply.body()
          : "Enqueued " + reply.json().path("itemId").asText() + " on " + reply.json().path("schedule").path("queue").asText()
              + " for schedule " + name + ".");
      return 0;
    }
  }
}
