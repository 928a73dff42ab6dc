package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QuietProjectionStopsTest {

  @Test
  void dropsOnlyTheProjectionsStopNotices() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream filtered = new PrintStream(new QuietProjectionStops.Filter(new PrintStream(bytes, true, StandardCharsets.UTF_8)),
        true, StandardCharsets.UTF_8);
    filtered.println("# stop org.apache.pekko.projection.jdbc.internal.JdbcProjectionImpl$JdbcRunningProjection@14ff8914");
    filtered.println("a line of its own");
    filtered.print("# stop something else\n");
    assertEquals("a line of its own\n# stop something else\n", bytes.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"));
  }
}
