package io.rebound.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code rebound enqueue QUEUE (--payload JSON | --file items.jsonl)}: one item through {@code
 * POST /v1/queues/{queue}/items}, or every line of a file through the batch endpoint.
 */
@Command(
    name = "enqueue",
    mixinStandardHelpOptions = true,
    description = {
        "Enqueue one item, or every line of a JSON-lines file.",
        "With --file each line is one API item object such as {\"payload\": {...}, \"key\": \"k\"}; the lines are sent in "
            + "batches, and --group, --priority, --delay and --max-attempts apply to lines without that field. Prints the id of each "
            + "item and whether it was created or already existed (same key)."})
public final class EnqueueCommand extends NodeCommand {
  private static final ObjectMapper STRICT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final Pattern BATCH_FIELD = Pattern.compile("items\\[(\\d+)]\\.?");

  @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
  String queue;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--payload", paramLabel = "JSON", required = true, description = "The item's payload, any JSON.")
    String payload;

    @Option(names = "--file", paramLabel = "FILE", required = true, description = "A JSON-lines file, one item object per line.")
    Path file;
  }

  @Option(names = "--key", paramLabel = "KEY", description = "Dedup key: an existing key of the queue answers with the existing item.")
  String key;

  @Option(names = "--group", paramLabel = "GROUP",
      description = "The item's group (a tenant such as a customer id): the queue's group limits and fair order count per group.")
  String group;

  @Option(names = "--priority", paramLabel = "P", description = "0 to 9, higher runs first (node default 5).")
  Integer priority;

  @Option(names = "--delay", paramLabel = "D", description = "Wait this long before the first attempt: 30s, 5m, PT1H...")
  String delay;

  @Option(names = "--max-attempts", paramLabel = "N", description = "Attempts in all (default: the queue's).")
  Integer maxAttempts;

  @Option(names = "--batch-size", paramLabel = "N", defaultValue = "1000",
      description = "With --file: items per call, 1 to 1000 (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Override
  int run(NodeClient client) {
    ObjectNode options = NodeClient.MAPPER.createObjectNode();
    if (group != null) {
      options.put("group", group);
    }
    if (priority != null) {
      options.put("priority", priority);
    }
    if (delay != null) {
      options.put("delay", delay);
    }
    if (maxAttempts != null) {
      options.put("maxAttempts", maxAttempts);
    }
    return source.file == null ? one(client, options) : file(client, options);
  }

  private int one(NodeClient client, ObjectNode options) {
    JsonNode payload;
    try {
      payload = STRICT.readTree(source.payload);
    } catch (JsonProcessingException e) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--payload': not valid JSON: " + e.getOriginalMessage());
    }
    if (payload == null || payload.isMissingNode()) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--payload': it is empty (use e.g. '{}' or 'null')");
    }
    ObjectNode body = NodeClient.MAPPER.createObjectNode();
    // The text as given, not the tree: big numbers, key order and duplicates reach the handler as typed.
    body.putRawValue("payload", new com.fasterxml.jackson.databind.util.RawValue(source.payload.strip()));
    if (key != null) {
      body.put("key", key);
    }
    body.setAll(options);
    NodeClient.Reply reply = client.post("/v1/queues/" + NodeClient.segment(queue) + "/items", body);
    if (node.json) {
      out().println(reply.body());
      return 0;
    }
    JsonNode item = reply.json();
    new Table("ID", "STATUS", "RESULT")
        .row(Format.cell(item.get("id")), Format.cell(item.get("status")), reply.status() == 201 ? "created" : "existing")
        .print(out());
    return 0;
  }

  private int file(NodeClient client, ObjectNode options) {
    if (key != null) {
      throw new ParameterException(spec.commandLine(), "--key applies to one item; with --file put \"key\" on each line");
    }
    if (batchSize < 1 || batchSize > 1000) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--batch-size': must be between 1 and 1000, was " + batchSize);
    }
    // Checked once here, so that a bad option is not reported as a bad first line.
    ObjectNode probe = options.deepCopy();
    probe.putNull("payload");
    try {
      ItemLines.request(probe, null);
    } catch (IllegalArgumentException e) {
      throw new CliException("invalid option: " + e.getMessage());
    }
    List<ItemLines.Line> lines = ItemLines.read(source.file, options, null);
    ObjectNode merged = NodeClient.MAPPER.createObjectNode();
    ArrayNode results = merged.putArray("results");
    String path = "/v1/queues/" + NodeClient.segment(queue) + "/items/batch";
    for (int from = 0; from < lines.size(); from += batchSize) {
      List<ItemLines.Line> batch = lines.subList(from, Math.min(lines.size(), from + batchSize));
      ObjectNode body = NodeClient.MAPPER.createObjectNode();
      ArrayNode items = body.putArray("items");
      batch.forEach(l -> items.add(l.item()));
      NodeClient.Reply reply;
      try {
        reply = client.send("POST", path, body, lineNames(batch));
      } catch (CliException e) {
        if (from == 0) {
          throw e;
        }
        throw new CliException(e.getMessage() + "; the items of lines " + lines.get(0).number() + " to "
            + lines.get(from - 1).number() + " were enqueued, those from line " + batch.get(0).number() + " on were not");
      }
      JsonNode got = reply.json().path("results");
      if (!got.isArray() || got.size() != batch.size()) {
        throw new CliException("the node answered a batch of " + batch.size() + " items with " + got.size() + " results");
      }
      got.forEach(results::add);
    }
    if (node.json) {
      out().println(merged);
      return 0;
    }
    Table table = new Table("LINE", "ID", "STATUS", "RESULT");
    int created = 0;
    for (int i = 0; i < lines.size(); i++) {
      JsonNode r = results.get(i);
      boolean c = r.path("created").asBoolean();
      created += c ? 1 : 0;
      table.row(lines.get(i).number(), Format.cell(r.get("id")), Format.cell(r.get("status")), c ? "created" : "existing");
    }
    table.print(out());
    out().printf("%s: %d created, %d existing%n", Format.count(lines.size(), "item"), created, lines.size() - created);
    return 0;
  }

  /** A batch's {@code items[3].priority} is the file's line of its fourth item: {@code line 12 priority}. */
  private static UnaryOperator<String> lineNames(List<ItemLines.Line> batch) {
    return field -> {
      Matcher m = BATCH_FIELD.matcher(field);
      StringBuilder b = new StringBuilder();
      while (m.find()) {
        int i = Integer.parseInt(m.group(1));
        String line = i < batch.size() ? "line " + batch.get(i).number() : m.group();
        m.appendReplacement(b, Matcher.quoteReplacement(line + (m.group().endsWith(".") ? " " : "")));
      }
      m.appendTail(b);
      return b.toString();
    };
  }
}
