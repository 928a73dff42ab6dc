package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rebound index rebuild|status}: rebuild the read side from the journal, and follow it. */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = "The read side (rebound_item): rebuild it from the journal, or show the rebuild's progress.",
    subcommands = {IndexCommand.Rebuild.class, IndexCommand.Status.class})
public final class IndexCommand implements Runnable {
  @Override
  public void run() {
    picocli.CommandLine.usage(this, System.out);
  }

  static String line(JsonNode s) {
    String state = s.path("state").asText();
    String progress = s.path("items").asLong() + " items" + (s.path("estimate").asLong() > 0 ? " of about " + s.path("estimate").asLong() : "");
    return switch (state) {
      case "IDLE" -> "No index rebuild has run.";
      case "RUNNING" -> "Rebuilding on " + s.path("node").asText() + " since " + s.path("startedAt").asText() + ": " + progress + " folded.";
      case "SWAPPING" -> "Swapping the rebuilt index in (projections paused): " + progress + ".";
      case "DONE" -> "Rebuilt at " + s.path("finishedAt").asText() + ": " + s.path("items").asLong() + " items (started " + s.path("startedAt").asText() + ").";
      default -> "The rebuild started " + s.path("startedAt").asText() + " failed: " + s.path("error").asText();
    };
  }

  @Command(name = "rebuild", mixinStandardHelpOptions = true,
      description = {"Rebuild rebound_item from the journal beside the live table, then swap it in; the node keeps serving.",
          "Needs an operator token. Follows the progress until it ends, unless --no-wait."})
  static final class Rebuild extends NodeCommand {
    @Option(names = "--no-wait", description = "Start it and return at once (follow with `rebound index status`).")
    boolean noWait;

    @Override
    int run(NodeClient client) throws InterruptedException {
      JsonNode s = client.post("/v1/index/rebuild", NodeClient.MAPPER.createObjectNode()).json();
      if (node.json && noWait) {
        out().println(s);
        return 0;
      }
      if (!node.json) {
        out().println(line(s));
      }
      String last = line(s);
      while (!noWait && (s.path("state").asText().equals("RUNNING") || s.path("state").asText().equals("SWAPPING"))) {
        Thread.sleep(1000);
        s = client.get("/v1/index/rebuild").json();
        String now = line(s);
        if (!node.json && !now.equals(last)) {
          out().println(now);
          out().flush();
        }
        last = now;
      }
      if (node.json) {
        out().println(s);
      }
      return s.path("state").asText().equals("FAILED") ? 1 : 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "The running or last index rebuild.")
  static final class Status extends NodeCommand {
    @Override
    int run(NodeClient client) {
      NodeClient.Reply reply = client.get("/v1/index/rebuild");
      out().println(node.json ? reply.body() : line(reply.json()));
      return 0;
    }
  }
}
