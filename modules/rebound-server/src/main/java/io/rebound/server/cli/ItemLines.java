package io.rebound.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rebound.api.RetryPolicy;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.server.http.EnqueueBody;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A JSON-lines file of items: one API item object per line ({@code {"payload": ..., "key": ...}}),
 * blank lines skipped. Every line is checked before anything is sent, so that a bad line stops
 * the whole file with an error naming its line.
 */
final class ItemLines {
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
   * The request one API item object stands for, checked by the HTTP API's own parser
   * ({@link EnqueueBody}), so that a file is refused here for what the node would refuse it, with
   * the same message; the node's {@code rebound.http} limits are not known here, so it checks those.
   *
   * @param queuePolicy the policy an item's own {@code retry} is layered over; null to check each
   *     retry field alone (the result then has no policy of its own)
   * @throws IllegalArgumentException {@code "<field> <message>"} of the first invalid field
   */
  static EnqueueRequest request(ObjectNode item, RetryPolicy queuePolicy) {
    return EnqueueBody.request(item, queuePolicy, EnqueueBody.Limits.NONE);
  }
}
