package io.rebound.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rebound.api.RetryPolicy;
import io.rebound.core.EnqueueRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * A JSON-lines file of items: one API item object per line ({@code {"payload": ..., "key": ...}}),
 * blank lines skipped. Every line is checked before anything is sent, so that a bad line stops
 * the whole file with an error naming its line.
 */
final class ItemLines {
  static final Set<String> FIELDS = Set.of("payload", "key", "group", "priority", "delay", "maxAttempts", "retry");
  private static final Set<String> RETRY_FIELDS =
      Set.of("maxAttempts", "backoff", "initial", "multiplier", "maxInterval", "schedule", "jitter");
  private static final ObjectMapper STRICT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One item of the file and the line it is on (1-based). */
  record Line(int number, ObjectNode item) {}

  private ItemLines() {}

  /**
   * Reads and checks every line. Fields of {@code defaults} are added to lines that lack them.
   *
   * @param queuePolicy the queue's retry policy to check each line's {@code retry} against, or
   *     null to check only that it is an object (the node checks the rest)
   * @throws CliException naming the file and line of the first bad line
   */
  static List<Line> read(Path file, ObjectNode defaults, RetryPolicy queuePolicy) {
    List<Line> lines = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int number = 0;
      for (String text = in.readLine(); text != null; text = in.readLine()) {
        number++;
        if (number == 1 && text.startsWith("\uFEFF")) {
          text = text.substring(1);
        }
        if (text.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = STRICT.readTree(text);
        } catch (JsonProcessingException e) {
          throw bad(file, number, "not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode item)) {
          throw bad(file, number, "must be a JSON object such as {\"payload\": {...}}, was " + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        // Each payload as written in the file (RawPayloads), not as a parsed tree would print it.
        JsonNode rawPayload = io.rebound.server.http.RawPayloads.read(text, false).get("payload");
        if (rawPayload != null) {
          item.set("payload", rawPayload);
        }
        defaults.properties().forEach(f -> {
          if (!item.has(f.getKey())) {
            item.set(f.getKey(), f.getValue());
          }
        });
        try {
          request(item, queuePolicy);
        } catch (IllegalArgumentException e) {
          throw bad(file, number, e.getMessage());
        }
        lines.add(new Line(number, item));
      }
    } catch (NoSuchFileException e) {
      throw new CliException("no such file: " + file);
    } catch (CharacterCodingException e) {
      throw new CliException(file + " is not UTF-8 text");
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage());
    }
    if (lines.isEmpty()) {
      throw new CliException(file + " holds no items (one JSON object per line)");
    }
    return lines;
  }

  private static CliException bad(Path file, int line, String message) {
    return new CliException(file + " line " + line + ": " + message);
  }

  /**
   * The request one API item object stands for, checked as the node checks it.
   *
   * @param queuePolicy the policy an item's own {@code retry} is layered over; null to only check
   *     that {@code retry} is an object (the result then has no policy of its own)
   * @throws IllegalArgumentException naming the field that is wrong
   */
  static EnqueueRequest request(ObjectNode item, RetryPolicy queuePolicy) {
    Set<String> unknown = new TreeSet<>();
    item.fieldNames().forEachRemaining(f -> {
      if (!FIELDS.contains(f)) {
        unknown.add(f);
      }
    });
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(String.join(", ", unknown) + (unknown.size() == 1 ? " is not a known field" : " are not known fields")
          + " (" + String.join(", ", new TreeSet<>(FIELDS)) + ")");
    }
    JsonNode payload = item.get("payload");
    if (payload == null) {
      throw new IllegalArgumentException("payload is required");
    }
    String raw = io.rebound.server.http.RawPayloads.raw(payload);
    EnqueueRequest.Builder b = EnqueueRequest.builder(raw != null ? raw : payload.toString());
    JsonNode v;
    if (present(v = item.get("key"))) {
      b.key(text("key", v));
    }
    if (present(v = item.get("group"))) {
      b.group(text("group", v));
    }
    if (present(v = item.get("priority"))) {
      b.priority(integer("priority", v));
    }
    if (present(v = item.get("delay"))) {
      b.delay(duration("delay", v));
    }
    if (present(v = item.get("maxAttempts"))) {
      b.maxAttempts(integer("maxAttempts", v));
    }
    if (present(v = item.get("retry"))) {
      if (!v.isObject()) {
        throw new IllegalArgumentException("retry must be an object");
      }
      if (queuePolicy != null) {
        b.retryPolicy(retry(v, queuePolicy));
      }
    }
    return b.build();
  }

  private static RetryPolicy retry(JsonNode r, RetryPolicy base) {
    for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!RETRY_FIELDS.contains(f)) {
        throw new IllegalArgumentException("retry." + f + " is not a known field (" + String.join(", ", new TreeSet<>(RETRY_FIELDS)) + ")");
      }
    }
    RetryPolicy.Builder b = base.toBuilder();
    // The node's order: a schedule switches backoff to SCHEDULE, an explicit backoff then wins.
    for (String field : List.of("maxAttempts", "initial", "maxInterval", "multiplier", "schedule", "backoff", "jitter")) {
      String name = "retry." + field;
      JsonNode v = r.get(field);
      if (!present(v)) {
        continue;
      }
      try {
        switch (field) {
          case "maxAttempts" -> b.maxAttempts(integer(name, v));
          case "initial" -> b.initial(duration(name, v));
          case "maxInterval" -> b.maxInterval(duration(name, v));
          case "multiplier" -> {
            if (!v.isNumber()) {
              throw new IllegalArgumentException(name + " must be a number");
            }
            b.multiplier(v.asDouble());
          }
          case "schedule" -> {
            if (!v.isArray()) {
              throw new IllegalArgumentException(name + " must be an array of durations");
            }
            List<Duration> s = new ArrayList<>();
            v.forEach(d -> s.add(duration(name, d)));
            b.schedule(s);
          }
          case "backoff" -> b.backoff(choice(name, v, RetryPolicy.Backoff.class));
          case "jitter" -> b.jitter(choice(name, v, RetryPolicy.Jitter.class));
          default -> throw new IllegalStateException(field);
        }
      } catch (IllegalArgumentException x) {
        String m = x.getMessage() == null ? "is invalid" : x.getMessage();
        throw new IllegalArgumentException(m.startsWith(name) ? m : m.startsWith(field + " ") ? "retry." + m : name + ": " + m);
      }
    }
    return b.build();
  }

  private static boolean present(JsonNode v) {
    return v != null && !v.isNull();
  }

  private static String text(String name, JsonNode v) {
    if (!v.isTextual()) {
      throw new IllegalArgumentException(name + " must be a string");
    }
    return v.asText();
  }

  private static int integer(String name, JsonNode v) {
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException(name + " must be an integer");
    }
    return v.asInt();
  }

  private static Duration duration(String name, JsonNode v) {
    if (!v.isTextual()) {
      throw new IllegalArgumentException(name + " must be a duration such as \"PT30S\" or \"30s\"");
    }
    try {
      return RetryPolicy.parseDuration(v.asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " is " + e.getMessage());
    }
  }

  private static <E extends Enum<E>> E choice(String name, JsonNode v, Class<E> type) {
    String s = text(name, v).trim().toUpperCase(Locale.ROOT);
    try {
      return Enum.valueOf(type, s);
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add(c.name().toLowerCase(Locale.ROOT));
      }
      throw new IllegalArgumentException(name + " must be one of " + String.join(", ", names) + ", was \"" + v.asText() + "\"");
    }
  }
}
