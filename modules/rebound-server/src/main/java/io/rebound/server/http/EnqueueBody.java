package io.rebound.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.rebound.api.RetryPolicy;
import io.rebound.core.enqueue.EnqueueRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads one enqueue object ({@code {"payload": ..., "key": ..., "retry": {...}}}), collecting an
 * error per invalid field: the one parser of the HTTP API and of the CLI's files and options
 * ({@code cli/ItemLines}), so that both accept and refuse the same objects with the same messages.
 * Each message follows its field's name ({@code "must be ..."}, {@code "is ..."}): the API answers
 * them as a map, the CLI prints the first as {@code "<field> <message>"}.
 */
public final class EnqueueBody {
  private static final Set<String> FIELDS = Set.of("payload", "key", "group", "priority", "delay", "maxAttempts", "retry");
  private static final Set<String> RETRY_FIELDS =
      Set.of("maxAttempts", "backoff", "initial", "multiplier", "maxInterval", "schedule", "jitter");

  /**
   * What a node allows an item to ask for ({@code rebound.http}). {@link #NONE} where the node's
   * settings are not known (the CLI checks a file before it sends it; the node checks these).
   */
  public record Limits(long maxPayload, int maxItemAttempts, Duration minItemInterval, int maxScheduleSteps) {
    public static final Limits NONE = new Limits(Long.MAX_VALUE, Integer.MAX_VALUE, Duration.ZERO, Integer.MAX_VALUE);

    static Limits of(ApiSettings s) {
      return new Limits(s.maxPayload(), s.maxItemAttempts(), s.minItemInterval(), s.maxScheduleSteps());
    }
  }

  /** A payload over the limit: answered with 413, not 400. */
  public static final class TooLarge extends RuntimeException {
    TooLarge(String message) {
      super(message);
    }
  }

  private EnqueueBody() {}

  /**
   * One item object of the HTTP API, within the node's {@code rebound.http} limits.
   *
   * @param prefix how fields are named in errors ({@code ""} or {@code "items[3]."})
   * @return the request, or null when {@code errors} got entries
   */
  static EnqueueRequest parse(JsonNode node, String prefix, RetryPolicy queuePolicy, ApiSettings limits, Map<String, String> errors) {
    return parse(node, prefix, queuePolicy, Limits.of(limits), errors);
  }

  /**
   * One item object, as {@link #request} but collecting every error.
   *
   * @param queuePolicy the queue's policy an item's own {@code retry} is layered over; null where it
   *     is not known: then each retry field is checked alone, and the request carries no policy
   * @param prefix how fields are named in errors ({@code ""} or {@code "items[3]."})
   * @return the request, or null when {@code errors} got entries
   * @throws TooLarge when the payload is over {@code limits.maxPayload()}
   */
  public static EnqueueRequest parse(JsonNode node, String prefix, RetryPolicy queuePolicy, Limits limits, Map<String, String> errors) {
    long maxPayloadBytes = limits.maxPayload();
    if (node == null || !node.isObject()) {
      errors.put(prefix.isEmpty() ? "body" : prefix.substring(0, prefix.length() - 1), "must be a JSON object");
      return null;
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        errors.put(prefix + f, "is not a known field (" + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
    JsonNode payload = node.get("payload");
    if (payload == null) {
      errors.put(prefix + "payload", "is required");
      return null;
    }
    // As sent (RawPayloads), so the handler gets the producer's bytes; a tree only when built in code.
    String raw = RawPayloads.raw(payload);
    String payloadJson = raw != null ? raw : payload.toString();
    // Characters are at most 3 UTF-8 bytes here (surrogate pairs 4 for 2 chars): count bytes only when it may matter.
    if (payloadJson.length() * 3L > maxPayloadBytes) {
      int bytes = payloadJson.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes > maxPayloadBytes) {
        throw new TooLarge(prefix + "payload is " + bytes + " bytes, more than the limit of " + maxPayloadBytes);
      }
    }
    EnqueueRequest.Builder b = EnqueueRequest.builder(payloadJson);
    field(node, prefix, "key", errors, v -> b.key(text(v)));
    field(node, prefix, "group", errors, v -> b.group(text(v)));
    field(node, prefix, "priority", errors, v -> b.priority(integer(v)));
    field(node, prefix, "delay", errors, v -> b.delay(duration(v)));
    field(node, prefix, "maxAttempts", errors, v -> b.maxAttempts(attempts(v, limits)));
    JsonNode retry = node.get("retry");
    if (retry != null && !retry.isNull()) {
      RetryPolicy p = retry(retry, prefix + "retry", queuePolicy, limits, errors);
      if (p != null) {
        b.retryPolicy(p);
      }
    }
    return errors.isEmpty() ? b.build() : null;
  }

  /**
   * A retry object, its fields over {@code base} (the queue's policy); also the proposal of a
   * what-if replay ({@link ReplayBody}), so that both read it alike.
   *
   * @return the policy, or null when {@code errors} got entries
   */
  static RetryPolicy retry(JsonNode r, String prefix, RetryPolicy base, ApiSettings limits, Map<String, String> errors) {
    return retry(r, prefix, base, Limits.of(limits), errors);
  }

  /** As above; a null {@code base} checks each field alone and gives no policy. */
  private static RetryPolicy retry(JsonNode r, String prefix, RetryPolicy base, Limits limits, Map<String, String> errors) {
    if (!r.isObject()) {
      errors.put(prefix, "must be an object");
      return null;
    }
    int before = errors.size();
    for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!RETRY_FIELDS.contains(f)) {
        errors.put(prefix + "." + f, "is not a known field (" + String.join(", ", RETRY_FIELDS.stream().sorted().toList()) + ")");
      }
    }
    RetryPolicy.Builder b = (base != null ? base : RetryPolicy.defaults()).toBuilder();
    String p = prefix + ".";
    field(r, p, "maxAttempts", errors, v -> b.maxAttempts(attempts(v, limits)));
    field(r, p, "initial", errors, v -> b.initial(interval(v, limits)));
    field(r, p, "maxInterval", errors, v -> b.maxInterval(interval(v, limits)));
    field(r, p, "multiplier", errors, v -> {
      if (!v.isNumber()) {
        throw new IllegalArgumentException("must be a number");
      }
      b.multiplier(v.asDouble());
    });
    field(r, p, "schedule", errors, v -> {
      if (!v.isArray()) {
        throw new IllegalArgumentException("must be an array of durations");
      }
      if (v.size() > limits.maxScheduleSteps()) {
        throw new IllegalArgumentException("must have at most " + limits.maxScheduleSteps() + " steps (rebound.http.item-policy.max-schedule), had " + v.size());
      }
      List<Duration> s = new ArrayList<>();
      v.forEach(d -> s.add(interval(d, limits)));
      b.schedule(s);
    });
    field(r, p, "backoff", errors, v -> b.backoff(choice(v, RetryPolicy.Backoff.class)));
    field(r, p, "jitter", errors, v -> b.jitter(choice(v, RetryPolicy.Jitter.class)));
    if (errors.size() != before || base == null) {
      return null;
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      // The one rule across fields (RetryPolicy.Builder.build): maxInterval not below initial.
      errors.put(p + "maxInterval", withoutFieldName("maxInterval", e.getMessage()));
      return null;
    }
  }

  /**
   * The request one item object stands for, checked as the node checks it (within {@code limits}).
   *
   * @param queuePolicy as for {@link #parse(JsonNode, String, RetryPolicy, Limits, Map)}
   * @throws IllegalArgumentException {@code "<field> <message>"} of the first invalid field
   */
  public static EnqueueRequest request(JsonNode item, RetryPolicy queuePolicy, Limits limits) {
    Map<String, String> errors = new LinkedHashMap<>();
    EnqueueRequest r;
    try {
      r = parse(item, "", queuePolicy, limits, errors);
    } catch (TooLarge e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    if (!errors.isEmpty()) {
      Map.Entry<String, String> first = errors.entrySet().iterator().next();
      throw new IllegalArgumentException(first.getKey() + " " + first.getValue());
    }
    return r;
  }

  private static void field(JsonNode node, String prefix, String name, Map<String, String> errors, Consumer<JsonNode> apply) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return;
    }
    try {
      apply.accept(v);
    } catch (IllegalArgumentException e) {
      errors.put(prefix + name, withoutFieldName(name, e.getMessage()));
    }
  }

  /** Builder messages start with the field name, which the error map already gives. */
  private static String withoutFieldName(String name, String message) {
    return message != null && message.startsWith(name + " ") ? message.substring(name.length() + 1) : message;
  }

  private static String text(JsonNode v) {
    if (!v.isTextual()) {
      throw new IllegalArgumentException("must be a string");
    }
    return v.asText();
  }

  private static int integer(JsonNode v) {
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException("must be an integer");
    }
    return v.asInt();
  }

  /** An item's own max attempts, within {@code rebound.http.item-policy.max-attempts}. */
  private static int attempts(JsonNode v, Limits limits) {
    int n = integer(v);
    if (n > limits.maxItemAttempts()) {
      throw new IllegalArgumentException("must be at most " + limits.maxItemAttempts() + " (rebound.http.item-policy.max-attempts), was " + n);
    }
    return n;
  }

  /** A backoff an item asks for, at least {@code rebound.http.item-policy.min-interval}. */
  private static Duration interval(JsonNode v, Limits limits) {
    Duration d = duration(v);
    if (d.compareTo(limits.minItemInterval()) < 0) {
      throw new IllegalArgumentException("must be at least " + limits.minItemInterval().toMillis() + "ms (rebound.http.item-policy.min-interval), was " + v.asText());
    }
    return d;
  }

  private static Duration duration(JsonNode v) {
    if (!v.isTextual()) {
      throw new IllegalArgumentException("must be a duration such as \"PT30S\" or \"30s\"");
    }
    try {
      return RetryPolicy.parseDuration(v.asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("is " + e.getMessage());
    }
  }

  private static <E extends Enum<E>> E choice(JsonNode v, Class<E> type) {
    String s = text(v).trim().toUpperCase(Locale.ROOT);
    try {
      return Enum.valueOf(type, s);
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add(c.name().toLowerCase(Locale.ROOT));
      }
      throw new IllegalArgumentException("must be one of " + String.join(", ", names) + ", was \"" + v.asText() + "\"");
    }
  }
}
