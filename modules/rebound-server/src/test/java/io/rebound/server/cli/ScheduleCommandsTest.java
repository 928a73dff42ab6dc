package io.rebound.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.item.ItemView;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schedules over HTTP and the CLI, against one real node: list, pause, resume, trigger, and the errors. */
class ScheduleCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private static NodeServer node;
  private static String url;

  @BeforeAll
  static void startNode() {
    // Ticks once a year, on New Year's Day: none falls in the test, so what it shows is what the test did.
    node = NodeServer.start(ConfigFactory.parseString("""
        rebound.data-dir = "%s"
        rebound.http.port = 0
        pekko.management.http.port = 0
        pekko.coordinated-shutdown.exit-jvm = off
        rebound.queues.reports { handler.type = simulated }
        rebound.schedules.yearly { cron = "0 0 0 1 1 *", zone = "Europe/Berlin", queue = reports, payload { kind = annual } }
        """.formatted(dir.resolve("data").toString().replace("\\", "/"))));
    url = node.url();
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  private static HttpResponse<String> call(String method, String path) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).method(method, HttpRequest.BodyPublishers.noBody());
    TestServers.asClient(b, method);
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static CliRun cli(String... args) {
    String[] withUrl = new String[args.length + 2];
    System.arraycopy(args, 0, withUrl, 0, args.length);
    withUrl[args.length] = "--url";
    withUrl[args.length + 1] = url;
    return CliRun.of(withUrl);
  }

  @Test
  void getSchedulesShowsEachWithItsNextTickInItsZone() throws Exception {
    HttpResponse<String> r = call("GET", "/v1/schedules");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode s = JSON.readTree(r.body()).get("schedules").get(0);
    assertEquals("yearly", s.get("name").asText());
    assertEquals("0 0 0 1 1 *", s.get("cron").asText());
    assertEquals("Europe/Berlin", s.get("zone").asText());
    assertEquals("reports", s.get("queue").asText());
    assertEquals("run-once", s.get("missed").asText());
    assertEquals("annual", s.get("payload").get("kind").asText());
    // Midnight of New Year's Day in Berlin is 23:00 UTC on New Year's Eve.
    assertTrue(s.get("nextTick").asText().endsWith("-12-31T23:00:00Z"), s.toString());
  }

  @Test
  void pauseResumeAndTriggerFromTheCli() {
    CliRun paused = cli("schedules", "pause", "yearly");
    assertEquals(0, paused.code(), paused.toString());
    assertEquals("yearly is paused.\n", paused.out());
    CliRun list = cli("schedules");
    assertTrue(list.out().matches("(?s)NAME\\s+CRON\\s+ZONE\\s+QUEUE\\s+STATE\\s+NEXT TICK\\s+LAST TICK\\s+LAST ITEM\\n"
        + "yearly\\s+0 0 0 1 1 \\*\\s+Europe/Berlin\\s+reports\\s+paused\\s+-\\s+-\\s+.*\\n"), list.toString());
    CliRun resumed = cli("schedules", "resume", "yearly");
    assertTrue(resumed.out().startsWith("yearly is active, next tick "), resumed.toString());

    CliRun triggered = cli("schedules", "trigger", "yearly");
    assertEquals(0, triggered.code(), triggered.toString());
    String id = triggered.out().split(" ")[1];
    ItemView item = node.rebound().status(id).toCompletableFuture().join().orElseThrow();
    assertEquals("{\"kind\":\"annual\"}", item.payload());
    assertTrue(item.key().startsWith("schedule:yearly:trigger:"), item.key());
    assertTrue(cli("schedules").out().contains(id), "the list shows the last item");
  }

  @Test
  void aTriggerOverHttpAnswers201WithTheItem() throws Exception {
    HttpResponse<String> r = call("POST", "/v1/schedules/yearly/trigger");
    assertEquals(201, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertEquals(body.get("itemId").asText(), body.get("schedule").get("lastItemId").asText());
    assertFalse(body.get("schedule").get("paused").asBoolean());
    assertTrue(Instant.parse(body.get("schedule").get("nextTick").asText()).isAfter(Instant.now()));
  }

  @Test
  void anUnknownScheduleIsA404ProblemAndOneCliLine() throws Exception {
    HttpResponse<String> r = call("POST", "/v1/schedules/nope/pause");
    assertEquals(404, r.statusCode(), r.body());
    assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
    assertEquals("no schedule named 'nope'", JSON.readTree(r.body()).get("detail").asText());
    CliRun c = cli("schedules", "trigger", "nope");
    assertNotEquals(0, c.code());
    assertEquals("rebound: no schedule named 'nope'", c.errorLine());
  }
}
