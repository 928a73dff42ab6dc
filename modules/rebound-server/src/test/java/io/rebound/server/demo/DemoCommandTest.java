package io.rebound.server.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.server.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
  @TempDir Path dir;

  @Test
  void demoRunsItsMixToTheEndAndTheNextRunFindsTheItemsOfTheLastOne() throws Exception {
    Path config = dir.resolve("demo.conf");
    // Short backoff and parking so the test is quick; the mix is the demo's own.
    Files.writeString(config, """
        rebound.data-dir = "%s"
        rebound.queues.demo { park-retry = 200ms, retry { initial = 10ms, max-interval = 50ms } }
        rebound.tools.search-index.probe { down-after = 0s, down-for = 1500ms, interval = 100ms }
        """.formatted(dir.resolve("data").toString().replace("\\", "/")));

    String first = run("demo", "--items", "300", "--config", config.toString());
    assertTrue(first.contains("Run 1: enqueueing 300 items into queues 'demo' and 'demo-tools'"), first);
    assertTrue(first.contains("300/300 done"), first);
    // 80% succeed at once, 10% after transient failures, 2% after parking: 276 succeed;
    // 5% permanent + 3% exhausted: 24 dead letters.
    assertTrue(first.matches("(?s).*SUCCEEDED\\s+.*\\s276\\n.*"), first);
    assertTrue(first.matches("(?s).*DEAD_LETTERED\\s+.*\\s24\\n.*"), first);
    // 6 items park on the handler's ToolUnavailableException, and demo-tools' items (every tenth)
    // park while search-index is down for the first 1.5 s.
    java.util.regex.Matcher parked = java.util.regex.Pattern.compile("then released: (\\d+) items").matcher(first);
    assertTrue(parked.find(), first);
    assertTrue(Integer.parseInt(parked.group(1)) > 6, first);

    String second = run("demo", "--items", "100", "--config", config.toString());
    assertTrue(second.contains("Found run 1 in the database: 300 of its 300 items are still there"), second);
    assertTrue(second.contains("Run 2: enqueueing 100 items"), second);
  }

  @Test
  void theMixHasTheAdvertisedShares() {
    int[] kinds = new int[5];
    Random random = new Random(1);
    for (int i = 0; i < 1000; i++) {
      String p = DemoCommand.payload(i, 1000, random);
      if (!p.contains("fail")) {
        kinds[0]++;
      } else if (p.contains("PERMANENT")) {
        kinds[2]++;
      } else if (p.contains("TOOL_UNAVAILABLE")) {
        kinds[4]++;
      } else if (p.contains("\"fail\":100")) {
        kinds[3]++;
      } else {
        kinds[1]++;
      }
    }
    assertEquals(800, kinds[0]);
    assertEquals(100, kinds[1]);
    assertEquals(50, kinds[2]);
    assertEquals(30, kinds[3]);
    assertEquals(20, kinds[4]);
  }

  @Test
  void badItemCountPrintsOneLineAndExitsNonZero() throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertEquals(2, Main.run("demo", "--items", "nope"));
    } finally {
      System.setErr(old);
    }
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, text.lines().count(), text);
    assertTrue(text.startsWith("rebound: ") && text.contains("--items"), text);
  }

  private static String run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.run(args);
    } finally {
      System.setOut(old);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, text);
    return text;
  }
}
