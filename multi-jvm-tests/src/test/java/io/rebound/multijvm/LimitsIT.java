package io.rebound.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** A queue's rate limit holds for the whole cluster, not per node. */
class LimitsIT {
  private static final Duration START = Duration.ofSeconds(120);
  private static final String QUEUE = "paced";

  @Test
  void three_nodes_keep_the_queues_rate_limit_in_all(TestInfo info) throws Exception {
    String paced = """

        rebound.queues.paced {
          handler.type = simulated
          concurrency = 16
          rate-limit { per-second = 10, burst = 10 }
        }
        """;
    try (TestCluster cluster = new TestCluster(info.getTestMethod().orElseThrow().getName(), 3, paced)) {
      cluster.start(0, 1, 2);
      cluster.awaitUp(START, 0, 1, 2);
      List<String> ids = new ArrayList<>();
      for (int n = 0; n < 3; n++) {
        ids.addAll(enqueue(cluster.node(n), n * 40, n * 40 + 40));
      }
      Map<String, JsonNode> done = Items.awaitTerminal(cluster::alive, ids, Duration.ofSeconds(120));
      assertEquals(120, done.size());
      List<Instant> starts = new ArrayList<>();
      for (String id : ids) {
        Api.Reply r = Api.getPatiently(cluster.node(0).api() + "/v1/items/" + id + "/history");
        assertTrue(r.ok(), "history of " + id + ": " + r.text());
        for (JsonNode e : r.body().path("events")) {
          if (e.path("type").asText().equals("attempt-started")) {
            starts.add(Instant.parse(e.path("at").asText()));
          }
        }
      }
      assertEquals(120, starts.size(), "one attempt per item");
      Collections.sort(starts);
      // The burst of 10, then 110 at 10/s: 11 s in all. Each node at 10/s would take under 4 s.
      Duration span = Duration.between(starts.get(0), starts.get(starts.size() - 1));
      assertTrue(span.compareTo(Duration.ofMillis(10_000)) >= 0, "120 starts took only " + span);
      int most = 0;
      for (int i = 0; i < starts.size(); i++) {
        int j = i;
        while (j < starts.size() && Duration.between(starts.get(i), starts.get(j)).compareTo(Duration.ofSeconds(1)) < 0) {
          j++;
        }
        most = Math.max(most, j - i);
      }
      assertTrue(most <= 10 + 10, "at most burst + 10 starts in any second across the cluster, was " + most);
    }
  }

  /** Items {@code from} to {@code to - 1} in one batch through the given node. */
  private static List<String> enqueue(NodeProcess node, int from, int to) throws Exception {
    ObjectNode body = Api.JSON.createObjectNode();
    ArrayNode items = body.putArray("items");
    for (int i = from; i < to; i++) {
      ObjectNode item = items.addObject();
      item.put("key", "paced-" + i);
      item.putObject("payload").put("ms", 10);
    }
    Api.Reply r = Api.post(node.api() + "/v1/queues/" + QUEUE + "/items/batch", body.toString());
    assertTrue(r.ok(), "enqueue on " + node.name + ": " + r.status() + " " + r.text());
    List<String> ids = new ArrayList<>();
    r.body().path("results").forEach(x -> ids.add(x.path("id").asText()));
    return ids;
  }
}
