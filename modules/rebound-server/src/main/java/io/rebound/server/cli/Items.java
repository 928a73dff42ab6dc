package io.rebound.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;

/** How an item of the API looks to a person. */
final class Items {
  private Items() {}

  static void print(JsonNode item, PrintStream out) {
    Table t = new Table("FIELD", "VALUE");
    t.row("id", Format.cell(item.get("id")));
    t.row("queue", Format.cell(item.get("queue")));
    t.row("key", Format.cell(item.get("key")));
    if (item.hasNonNull("group")) {
      t.row("group", Format.cell(item.get("group")));
    }
    t.row("status", Format.cell(item.get("status")));
    t.row("priority", Format.cell(item.get("priority")));
    t.row("attempts", Format.cell(item.get("attempts")) + " of " + Format.cell(item.get("maxAttempts")));
    t.row("next attempt", Format.cell(item.get("nextAttemptAt")));
    t.row("last error", lastError(item));
    t.row("created", Format.cell(item.get("createdAt")));
    t.row("updated", Format.cell(item.get("updatedAt")));
    t.row("payload", Format.cell(item.get("payload")));
    t.printRows(out);
  }

  static String lastError(JsonNode item) {
    JsonNode e = item.get("lastError");
    if (e == null || e.isNull()) {
      return "-";
    }
    return Format.cell(e.get("kind")) + ": " + Format.cell(e.get("message"));
  }
}
