package io.rebound.multijvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Enqueues items through the nodes' HTTP API and asks each one's status back. */
final class Items {
  static final String QUEUE = "work";
  private static final int POLL_PARALLELISM = 64;

  private Items() {}

  /**
   * Enqueues items {@code from} to {@code to - 1} (key {@code item-N}, a simulated handler of 20-39
   * ms) in one batch, through the first node that accepts it: a key makes a retry on another
   * node safe. Answers their ids in order.
   */
  static List<String> enqueue(Supplier<List<NodeProcess>> nodes, int from, int to, Duration timeout) throws InterruptedException {
    return enqueue(nodes, QUEUE, from, to, timeout);
  }

  /** {@link #enqueue(Supplier, int, int, Duration)} into another queue (keys {@code <queue>-N}). */
  static List<String> enqueue(Supplier<List<NodeProcess>> nodes, String queue, int from, int to, Duration timeout) throws InterruptedException {
    String keyPrefix = queue.equals(QUEUE) ? "item-" : queue + "-";
    ObjectNode body = Api.JSON.createObjectNode();
    ArrayNode items = body.putArray("items");
    for (int i = from; i < to; i++) {
      ObjectNode item = items.addObject();
      item.put("key", keyPrefix + i);
      item.putObject("payload").put("ms", 20 + i % 20);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    for (int attempt = 0; ; attempt++) {
      List<NodeProcess> up = nodes.get();
      if (!up.isEmpty()) {
        NodeProcess n = up.get(Math.floorMod(from / Math.max(1, to - from) + attempt, up.size()));
        try {
          Api.Reply r = Api.post(n.api() + "/v1/queues/" + queue + "/items/batch", body.toString());
          if (r.ok()) {
            List<String> ids = new ArrayList<>();
            r.body().path("results").forEach(x -> ids.add(x.path("id").asText()));
            return ids;
          }
          last = n.name + ": " + r.status() + " " + r.text();
        } catch (IOException e) {
          last = n.name + ": " + e;
        }
      }
      assertTrue(System.nanoTime() < deadline, "no node took items " + from + ".." + (to - 1) + ": " + last);
      Thread.sleep(200);
    }
  }

  /**
   * Polls every item's status (from the item itself, never the index) through the running nodes
   * until all are terminal; fails listing what is left at the deadline. An item no node knows is
   * lost, and fails at once.
   */
  static Map<String, JsonNode> awaitTerminal(Supplier<List<NodeProcess>> nodes, List<String> ids, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, JsonNode> done = new HashMap<>();
    List<String> open = new ArrayList<>(ids);
    Map<String, JsonNode> latest = new HashMap<>();
    while (!open.isEmpty()) {
      List<NodeProcess> up = nodes.get();
      List<String> still = new ArrayList<>();
      for (int start = 0; start < open.size(); start += POLL_PARALLELISM) {
        List<String> chunk = open.subList(start, Math.min(open.size(), start + POLL_PARALLELISM));
        List<CompletableFuture<Api.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
          replies.add(Api.getAsync(up.get((start + i) % up.size()).api() + "/v1/items/" + chunk.get(i)));
        }
        for (int i = 0; i < chunk.size(); i++) {
          Api.Reply r = replies.get(i).join();
          String id = chunk.get(i);
          if (r != null && r.status() == 404) {
            throw new AssertionError("item " + id + " is lost: no node knows it");
          }
          if (r != null && r.ok() && isTerminal(r.body())) {
            done.put(id, r.body());
          } else {
            if (r != null && r.ok()) {
              latest.put(id, r.body());
            }
            still.add(id);
          }
        }
      }
      open = still;
      if (!open.isEmpty()) {
        if (System.nanoTime() > deadline) {
          Map<String, Integer> byStatus = new TreeMap<>();
          open.forEach(id -> byStatus.merge(latest.containsKey(id) ? latest.get(id).path("status").asText() : "no answer", 1, Integer::sum));
          throw new AssertionError(open.size() + " of " + ids.size() + " items not terminal in time " + byStatus
              + ", e.g. " + latest.getOrDefault(open.get(0), null));
        }
        Thread.sleep(500);
      }
    }
    return done;
  }

  static boolean isTerminal(JsonNode item) {
    String s = item.path("status").asText();
    return s.equals("SUCCEEDED") || s.equals("DEAD_LETTERED") || s.equals("CANCELLED");
  }

  static Map<String, Integer> countByStatus(Map<String, JsonNode> items) {
    Map<String, Integer> out = new TreeMap<>();
    items.values().forEach(v -> out.merge(v.path("status").asText(), 1, Integer::sum));
    return out;
  }

  /** The error kinds of an item's failed attempts, oldest first, from its history. */
  static List<String> failureKinds(NodeProcess node, String id) throws IOException, InterruptedException {
    Api.Reply r = Api.getPatiently(node.api() + "/v1/items/" + id + "/history");
    assertTrue(r.ok(), "history of " + id + ": " + r.text());
    List<String> kinds = new ArrayList<>();
    for (JsonNode e : r.body().path("events")) {
      if (e.path("type").asText().equals("attempt-failed")) {
        kinds.add(e.path("kind").asText());
      }
    }
    return kinds;
  }
}
