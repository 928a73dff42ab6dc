package io.rebound.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.Rebound;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.index.Alerts;
import io.rebound.core.index.ItemIndex;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** How items, histories and queues look on the wire. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

  private Json() {}

  static ObjectNode item(ItemView v) {
    return item(v, true);
  }

  /** @param payload whether to include the payload (not for viewers); without it the field is absent */
  static ObjectNode item(ItemView v, boolean payload) {
    ErrorKind kind = v.lastError() == null ? null : v.lastError().kind();
    ObjectNode n = common(v.id(), v.queue(), v.key(), v.status(), v.priority(), v.attempts(), v.nextAttemptAt(),
        kind, kind == null ? null : v.lastError().message(), v.createdAt(), v.updatedAt());
    n.put("maxAttempts", v.maxAttempts());
    n.put("group", v.group());
    if (payload) {
      n.set("payload", payload(v.payload()));
    }
    return n;
  }

  /** A row of the index: the item without its payload, as of the index's last update. */
  static ObjectNode row(ItemIndex.Row r) {
    return common(r.id(), r.queue(), r.key(), r.status(), r.priority(), r.attempts(), r.nextAttemptAt(),
        r.lastErrorKind(), r.lastError(), r.createdAt(), r.updatedAt());
  }

  /** The fields an item and an index row share, in the same shape. */
  private static ObjectNode common(String id, String queue, String key, ItemStatus status, int priority, int attempts,
      Instant nextAttemptAt, ErrorKind errorKind, String error, Instant createdAt, Instant updatedAt) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("id", id);
    n.put("queue", queue);
    n.put("key", key);
    n.put("status", status.name());
    n.put("priority", priority);
    n.put("attempts", attempts);
    n.set("nextAttemptAt", MAPPER.valueToTree(nextAttemptAt));
    if (errorKind == null) {
      n.putNull("lastError");
    } else {
      ObjectNode e = n.putObject("lastError");
      e.put("kind", errorKind.name());
      e.put("message", error);
    }
    n.set("createdAt", MAPPER.valueToTree(createdAt));
    n.set("updatedAt", MAPPER.valueToTree(updatedAt));
    return n;
  }

  static ObjectNode page(ItemIndex.Page page) {
    ObjectNode n = MAPPER.createObjectNode();
    ArrayNode items = n.putArray("items");
    page.items().forEach(r -> items.add(row(r)));
    n.put("next", page.next());
    return n;
  }

  static ObjectNode stats(ItemIndex.QueueStats s, boolean paused) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("queue", s.queue());
    n.put("paused", paused);
    n.put("total", s.total());
    ObjectNode counts = n.putObject("counts");
    for (ItemStatus status : ItemStatus.values()) {
      counts.put(status.name(), s.counts().getOrDefault(status, 0L));
    }
    if (s.oldestPendingAge() == null) {
      n.putNull("oldestPendingAgeSeconds");
    } else {
      n.put("oldestPendingAgeSeconds", s.oldestPendingAge().toMillis() / 1000.0);
    }
    ObjectNode retry = n.putObject("retry");
    retry.put("averageAttempts", s.averageAttempts());
    retry.put("maxAttempts", s.maxAttempts());
    return n;
  }

  static ObjectNode alerts(Alerts.Report r) {
    ObjectNode n = MAPPER.createObjectNode();
    ArrayNode alerts = n.putArray("alerts");
    for (Alerts.Alert a : r.alerts()) {
      ObjectNode o = alerts.addObject();
      o.put("type", a.type());
      o.put("queue", a.queue());
      o.put("count", a.count());
      o.put("message", a.message());
    }
    ArrayNode stuck = n.putArray("stuck");
    for (Alerts.Stuck s : r.stuck()) {
      ObjectNode o = row(s.item());
      o.put("reason", s.reason());
      stuck.add(o);
    }
    return n;
  }

  /** @param stackTraces whether to include handler stack traces (operators only: they show internals) */
  static ObjectNode history(List<HistoryEntry> entries, boolean stackTraces) {
    ObjectNode n = MAPPER.createObjectNode();
    ArrayNode events = n.putArray("events");
    for (HistoryEntry e : entries) {
      ObjectNode o = events.addObject();
      o.put("type", e.type());
      o.set("at", MAPPER.valueToTree(e.at()));
      if (e.attempt() == null) {
        o.putNull("attempt");
      } else {
        o.put("attempt", e.attempt());
      }
      e.details().forEach((k, val) -> {
        if (!stackTraces && k.equals("stackTrace")) {
          return;
        }
        o.set(k, MAPPER.valueToTree(val instanceof Enum<?> en ? en.name() : val));
      });
    }
    return n;
  }

  static ObjectNode queue(QueueSettings q, boolean paused) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("name", q.name());
    n.put("concurrency", q.concurrency());
    n.put("attemptTimeout", q.attemptTimeout().toString());
    n.put("parkRetry", q.parkRetry().toString());
    n.put("maxPark", q.maxPark().toString());
    ArrayNode tools = n.putArray("tools");
    q.tools().forEach(tools::add);
    n.put("paused", paused);
    n.set("retry", policy(q.retryPolicy()));
    return n;
  }

  static ObjectNode tool(Rebound.ToolStatus t) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("name", t.view().name());
    n.put("state", t.view().state().name());
    n.set("since", MAPPER.valueToTree(t.view().since()));
    n.put("lastError", t.view().lastError());
    n.put("breakerOpen", t.view().breakerOpen());
    n.put("parked", t.parked());
    return n;
  }

  static ObjectNode policy(RetryPolicy p) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("maxAttempts", p.maxAttempts());
    n.put("backoff", p.backoff().name().toLowerCase());
    n.put("initial", p.initial().toString());
    n.put("multiplier", p.multiplier());
    n.put("maxInterval", p.maxInterval().toString());
    ArrayNode s = n.putArray("schedule");
    p.schedule().stream().map(Duration::toString).forEach(s::add);
    n.put("jitter", p.jitter().name().toLowerCase());
    return n;
  }

  /**
   * The payload as stored, written out as is (numbers, key order and duplicate keys as the
   * producer sent them). Payloads were validated at enqueue, so only text written by something
   * else fails the check and is shown as a string.
   */
  private static JsonNode payload(String json) {
    try (com.fasterxml.jackson.core.JsonParser p = MAPPER.getFactory().createParser(json)) {
      if (p.nextToken() == null) {
        return MAPPER.getNodeFactory().textNode(json);
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        return MAPPER.getNodeFactory().textNode(json);
      }
      return MAPPER.getNodeFactory().rawValueNode(new com.fasterxml.jackson.databind.util.RawValue(json.strip()));
    } catch (java.io.IOException e) {
      return MAPPER.getNodeFactory().textNode(json);
    }
  }

  static byte[] bytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }
}
