package io.rebound.core.index;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * pekko-projection-jdbc 1.0.0 prints {@code # stop ...JdbcRunningProjection@...} to standard out
 * (a leftover {@code println}) each time a projection stops, so every node shutdown would print
 * one line per index slice into the user's output. The print goes through Scala's {@code
 * Console.out}, which captures {@code System.out} once, when Scala first uses it: so Scala's
 * console alone is given a stream that drops those lines, and {@code System.out} is left as it
 * was. If Scala's console was already in use, nothing changes.
 */
public final class QuietProjectionStops {
  private static final String NOISE = "# stop org.apache.pekko.projection.jdbc.internal.";
  private static boolean done;

  private QuietProjectionStops() {}

  public static synchronized void install() {
    if (done) {
      return;
    }
    done = true;
    PrintStream out = System.out;
    System.setOut(new PrintStream(new Filter(out), true, StandardCharsets.UTF_8));
    try {
      scala.Console$.MODULE$.out(); // Scala's console takes the stream it sees now
    } finally {
      System.setOut(out);
    }
  }

  /** Passes whole lines on, except the projection's stop notices. */
  static final class Filter extends OutputStream {
    private final PrintStream target;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    Filter(PrintStream target) {
      this.target = target;
    }

    @Override
    public synchronized void write(int b) {
      line.write(b);
      if (b == '\n') {
        String text = line.toString(StandardCharsets.UTF_8);
        if (!text.startsWith(NOISE)) {
          target.print(text);
          target.flush();
        }
        line.reset();
      }
    }
  }
}
