package io.rebound.server.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random mixes of the headers a browser page controls (or not) against an open node: a write gets
 * through exactly when its Host is the node's, it says application/json, its Origin (if any) is the
 * node, and it carries X-Rebound-Request or the node's Origin. Everything else is 415, 403 or 421.
 */
class CrossSiteFuzzTest {
  private static final Set<Integer> REFUSED = Set.of(403, 415, 421);
  private static Path dir;
  private static NodeServer node;

  @BeforeContainer
  static void startNode() throws Exception {
    dir = Files.createTempDirectory("rebound-xsite-fuzz");
    node = TestServers.start(dir, """
        rebound.http.rate-limit { requests-per-second = 0, bytes-per-second = 0 }
        rebound.queues.work { handler.type = simulated }
        """);
  }

  @AfterContainer
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  record Call(String method, String path, String host, String contentType, String origin, String marker, String body) {}

  @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED)
  void aWriteGetsThroughOnlyWithTheNodesHostJsonAndTheMarkerOrItsOwnOrigin(@ForAll("calls") Call c) throws Exception {
    String own = "127.0.0.1:" + node.port();
    String host = c.host().replace("PORT", Integer.toString(node.port()));
    String origin = c.origin() == null ? null : c.origin().replace("PORT", Integer.toString(node.port()));
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Host", host);
    if (c.contentType() != null) {
      h.put("Content-Type", c.contentType());
    }
    if (origin != null) {
      h.put("Origin", origin);
    }
    if (c.marker() != null) {
      h.put("X-Rebound-Request", c.marker());
    }
    int status = CrossSiteApiTest.raw(node.port(), c.method(), c.path(), h, c.body()).status();

    boolean hostOk = host.equals(own) || host.startsWith("localhost");
    boolean json = c.contentType() != null && c.contentType().toLowerCase().split(";")[0].strip().equals("application/json");
    boolean ownOrigin = origin != null && origin.equals("http://" + host);
    boolean originOk = origin == null || ownOrigin;
    boolean marked = c.marker() != null && !c.marker().isBlank();
    boolean passes = hostOk && json && originOk && (marked || ownOrigin);
    if (passes) {
      assertFalse(REFUSED.contains(status), c + " -> " + status);
    } else {
      assertTrue(REFUSED.contains(status), c + " -> " + status);
    }
  }

  @Provide
  Arbitrary<Call> calls() {
    Arbitrary<String> method = Arbitraries.of("POST", "PUT", "PATCH", "DELETE");
    Arbitrary<String> path = Arbitraries.of("/v1/queues/work/items", "/v1/queues/work/items/batch", "/v1/queues/work/pause",
        "/v1/queues/other/resume", "/v1/tools/db/release", "/v1/items/nope/cancel", "/v1/nothing", "/");
    Arbitrary<String> host = Arbitraries.of("127.0.0.1:PORT", "localhost:PORT", "evil.example:PORT", "evil.example", "127.0.0.1.nip.io:PORT");
    Arbitrary<String> type = Arbitraries.of(null, "application/json", "application/json; charset=utf-8", "text/plain",
        "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx");
    Arbitrary<String> origin = Arbitraries.of(null, "http://127.0.0.1:PORT", "http://localhost:PORT", "https://evil.example",
        "null", "http://evil.example:PORT", "http://127.0.0.1:1");
    Arbitrary<String> marker = Arbitraries.of(null, "1", "", " ", "yes");
    // A body that would pause nothing by itself, but would enqueue if it got through.
    Arbitrary<String> body = Arbitraries.of("", "{\"payload\":{}}", "{\"items\":[{\"payload\":1}]}", "payload=1");
    return Combinators.combine(List.of(method, path, host, type, origin, marker, body)).as(v -> new Call(
        (String) v.get(0), (String) v.get(1), (String) v.get(2), (String) v.get(3), (String) v.get(4), (String) v.get(5), (String) v.get(6)));
  }
}
