package io.rebound.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.IOException;

/**
 * Reads an enqueue body (one item, or a batch's {@code {"items": [...]}}) into a tree in which
 * each item's {@code payload} is the exact text the producer sent, not a parsed value: a queue
 * hands its handler the payload byte for byte, so numbers such as {@code 12345678901234567.89}
 * keep their digits, and keys their order and duplicates. One streaming parse both validates the
 * JSON and finds each payload's span in the text.
 */
public final class RawPayloads {
  private enum Level { ITEM, BATCH, OTHER }

  private RawPayloads() {}

  /** The body's tree with raw payloads ({@link #raw}), or a missing node when it is empty. */
  public static JsonNode read(String text, boolean batch) throws IOException {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(text)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return MissingNode.getInstance();
      }
      return value(p, text, batch ? Level.BATCH : Level.ITEM);
    }
  }

  /** The payload as sent, when {@code node} is a raw payload of {@link #read}; else null. */
  public static String raw(JsonNode node) {
    return node instanceof POJONode pojo && pojo.getPojo() instanceof RawValue raw ? raw.rawValue().toString() : null;
  }

  private static JsonNode tree(JsonParser p) throws IOException {
    JsonNode n = Json.MAPPER.readTree(p);
    return n == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : n;
  }

  /** The value at the parser's current token; objects at {@code level} get their special field. */
  private static JsonNode value(JsonParser p, String text, Level level) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT || level == Level.OTHER) {
      return tree(p);
    }
    ObjectNode o = Json.MAPPER.createObjectNode();
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      if (level == Level.ITEM && name.equals("payload")) {
        long start = p.currentTokenLocation().getCharOffset();
        p.skipChildren();
        p.finishToken();
        long end = p.currentLocation().getCharOffset();
        o.set(name, new POJONode(new RawValue(text.substring((int) start, (int) end))));
      } else if (level == Level.BATCH && name.equals("items") && v == JsonToken.START_ARRAY) {
        ArrayNode items = Json.MAPPER.createArrayNode();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          items.add(value(p, text, Level.ITEM));
        }
        o.set(name, items);
      } else {
        o.set(name, tree(p));
      }
    }
    return o;
  }
}
