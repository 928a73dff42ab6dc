package io.rebound.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one measured JVM: {@code java <the parent's -X options> -cp <the parent's class path>
 * <main> <args>}, echoes its output indented and collects the {@link RunResult} lines it prints.
 * The class path is the parent's own, so from {@code ./rebound bench} it is the bench jar, and
 * from a test it is the module's classes and their dependencies.
 */
final class ChildJvm {
  private ChildJvm() {}

  static List<RunResult> run(String mainClass, List<String> args, long timeoutSeconds) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(inheritedJvmOptions());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<RunResult> results = new ArrayList<>();
    // Read on this thread until the child closes its stdout, i.e. exits; the wait below only
    // catches a child that closed stdout but hangs in shutdown.
    Thread killer = new Thread(() -> {
      try {
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          System.out.println("    child JVM still running after " + timeoutSeconds + "s: killed");
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }, "bench-child-watchdog");
    killer.setDaemon(true);
    killer.start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        System.out.println("    " + line);
        RunResult.parse(line).ifPresent(results::add);
      }
    }
    p.waitFor();
    return results;
  }

  /**
   * The parent's heap and GC options (-Xmx, -XX:+UseParallelGC, ...), so that JAVA_OPTS given to
   * ./rebound apply to every measured JVM alike; agents and -D properties stay with the parent.
   */
  static List<String> inheritedJvmOptions() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-X") && !a.startsWith("-Xrunjdwp") && !a.startsWith("-Xdebug"))
        .toList();
  }
}
