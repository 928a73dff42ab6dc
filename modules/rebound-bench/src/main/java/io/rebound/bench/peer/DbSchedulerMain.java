package io.rebound.bench.peer;

import io.rebound.bench.Bench.Workload;
import io.rebound.bench.CpuClock;
import io.rebound.bench.RunResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The child JVM's entry point for the peer: {@code ./rebound bench --peer db-scheduler} starts one
 * per measured JVM ({@code java -cp rebound-bench.jar io.rebound.bench.peer.DbSchedulerMain ...}).
 * It runs the workload --runs times in this JVM (run 1 is cold, the later ones warm) and prints
 * one {@link RunResult} line after each. Not meant to be called by hand, though it can be.
 */
@Command(name = "db-scheduler-run", mixinStandardHelpOptions = true,
    description = "One JVM's runs of a workload on db-scheduler; prints a RESULT line per run.")
public final class DbSchedulerMain implements Callable<Integer> {

  @Option(names = "--workload", required = true, description = "W1, W2 or W3.")
  Workload workload;

  @Option(names = "--items", defaultValue = "20000", description = "Items per W1/W2 run.")
  int items;

  @Option(names = "--threads", defaultValue = "64", description = "db-scheduler's executor threads (= Rebound's concurrency).")
  int threads;

  @Option(names = "--polling-interval", defaultValue = "PT1S", description = "ISO-8601 duration (default: ${DEFAULT-VALUE}).")
  Duration pollingInterval;

  @Option(names = "--immediate", description = "enableImmediateExecution() (off by default, as in db-scheduler).")
  boolean immediate;

  @Option(names = "--rate", defaultValue = "500", description = "W3's items per second.")
  double rate;

  @Option(names = "--duration", defaultValue = "60", description = "W3's seconds of steady load.")
  int durationSeconds;

  @Option(names = "--runs", defaultValue = "1", description = "Runs in this JVM; run 1 is cold.")
  int runs;

  @Option(names = "--timeout", defaultValue = "600", description = "Seconds a run may take.")
  int timeoutSeconds;

  @Option(names = "--data-root", description = "Where the H2 files go (default: java.io.tmpdir).")
  Path dataRoot;

  public static void main(String[] args) {
    System.exit(new CommandLine(new DbSchedulerMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path root = dataRoot != null ? dataRoot : Path.of(System.getProperty("java.io.tmpdir"));
    Files.createDirectories(root);
    DbSchedulerRun.Settings settings = new DbSchedulerRun.Settings(workload, items, threads, pollingInterval, immediate,
        rate, Duration.ofSeconds(durationSeconds), root, Duration.ofSeconds(timeoutSeconds));
    CpuClock cpu = new CpuClock();
    boolean allOk = true;
    for (int run = 1; run <= runs; run++) {
      List<String> problems = new ArrayList<>();
      RunResult r = DbSchedulerRun.run(settings, run, cpu, problems);
      if (!problems.isEmpty()) {
        System.out.println(settings.system() + " " + workload + " FAILED: " + String.join("; ", problems));
        allOk = false;
      }
      System.out.println(r.line());
    }
    System.out.flush();
    return allOk ? 0 : 1;
  }
}
