package io.rebound.server.cli;

import io.rebound.server.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/** Runs {@code Main.run(...)} with System.out and System.err captured. */
record CliRun(int code, String out, String err) {
  // The node logs to stderr through logback; those lines are not the command's.
  private static final Pattern LOG_LINE = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*");

  static synchronized CliRun of(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.run(args);
    } finally {
      System.out.flush();
      System.err.flush();
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** What the command itself wrote to stderr (without the node's log lines). */
  List<String> errLines() {
    return err.lines().filter(l -> !LOG_LINE.matcher(l).matches()).toList();
  }

  /** The single line an error prints. */
  String errorLine() {
    List<String> lines = errLines();
    if (lines.size() != 1) {
      throw new AssertionError("expected one line on stderr, got " + lines.size() + ":\n" + err + "\nstdout:\n" + out);
    }
    return lines.get(0);
  }

  @Override
  public String toString() {
    return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
  }
}
