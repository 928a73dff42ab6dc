package io.rebound.bench;

import io.rebound.bench.Bench.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code --peer db-scheduler}: every workload on Rebound and on db-scheduler, each run in a fresh
 * child JVM (run 1 there is cold; with --warm a second run in the same JVM is the warm one),
 * then the medians of each and their ratio. The systems take turns run by run, so that a slow
 * minute on a shared machine hurts both rather than one.
 */
final class PeerComparison {
  private final Bench bench;
  private final List<Workload> workloads;

  PeerComparison(Bench bench, List<Workload> workloads) {
    this.bench = bench;
    this.workloads = workloads;
  }

  /** A system under test as one child JVM runs it. */
  record Contender(String name, String mainClass, List<String> args) {}

  boolean run() throws Exception {
    boolean ok = true;
    System.out.printf(Locale.ROOT, "peer comparison: db-scheduler, polling interval %s, threads = concurrency = %d, "
            + "%d fresh JVM(s) per system and workload%s%n",
        bench.peerPollingInterval, bench.concurrency, bench.repeat, bench.warm ? ", each also running a warm second run" : "");
    for (Workload w : workloads) {
      List<Contender> systems = systems(w);
      List<List<RunResult>> cold = new ArrayList<>();
      List<List<RunResult>> warm = new ArrayList<>();
      for (int s = 0; s < systems.size(); s++) {
        cold.add(new ArrayList<>());
        warm.add(new ArrayList<>());
      }
      for (int i = 1; i <= bench.repeat; i++) {
        for (int s = 0; s < systems.size(); s++) {
          Contender sys = systems.get(s);
          System.out.printf("%s %s, JVM %d/%d:%n", w, sys.name(), i, bench.repeat);
          List<RunResult> rs = ChildJvm.run(sys.mainClass(), sys.args(), childTimeoutSeconds(w));
          ok &= collect(rs, cold.get(s), warm.get(s), sys.name());
        }
      }
      System.out.println(summary(w, systems, cold, "cold"));
      if (bench.warm) {
        System.out.println(summary(w, systems, warm, "warm"));
      }
    }
    return ok;
  }

  /** Files run 1 as cold and run 2 as warm; false when the child failed or printed too few results. */
  private boolean collect(List<RunResult> rs, List<RunResult> cold, List<RunResult> warm, String name) {
    int expected = bench.warm ? 2 : 1;
    for (RunResult r : rs) {
      (r.run() == 1 ? cold : warm).add(r);
    }
    boolean ok = rs.size() == expected && rs.stream().allMatch(RunResult::ok);
    if (!ok) {
      System.out.println("    " + name + ": FAILED (" + rs.size() + " of " + expected + " results, ok="
          + rs.stream().map(r -> Boolean.toString(r.ok())).toList() + ")");
    }
    return ok;
  }

  List<Contender> systems(Workload w) {
    List<Contender> out = new ArrayList<>();
    out.add(new Contender("rebound", Bench.class.getName(), reboundArgs(w)));
    if (w == Workload.W3) {
      // W3 is about the first attempt's latency, which db-scheduler's immediate execution changes most.
      out.add(new Contender("db-scheduler+immediate", PEER_MAIN, peerArgs(w, true)));
      out.add(new Contender("db-scheduler", PEER_MAIN, peerArgs(w, false)));
    } else {
      out.add(new Contender(bench.peerImmediate ? "db-scheduler+immediate" : "db-scheduler", PEER_MAIN, peerArgs(w, bench.peerImmediate)));
    }
    return out;
  }

  private static final String PEER_MAIN = "io.rebound.bench.peer.DbSchedulerMain";

  private List<String> reboundArgs(Workload w) {
    List<String> a = new ArrayList<>(List.of("--workload", w.name(), "--concurrency", Integer.toString(bench.concurrency),
        "--repeat", runs(), "--timeout", Integer.toString(bench.timeoutSeconds), "--emit-results"));
    a.addAll(workloadArgs(w));
    if (bench.maxInFlight > 0) {
      a.addAll(List.of("--max-in-flight", Integer.toString(bench.maxInFlight)));
    }
    for (String o : bench.overrides) {
      a.addAll(List.of("--set", o));
    }
    if (bench.dataRoot != null) {
      a.addAll(List.of("--data-root", bench.dataRoot.toString()));
    }
    return a;
  }

  private List<String> peerArgs(Workload w, boolean immediate) {
    List<String> a = new ArrayList<>(List.of("--workload", w.name(), "--threads", Integer.toString(bench.concurrency),
        "--runs", runs(), "--timeout", Integer.toString(bench.timeoutSeconds),
        "--polling-interval", bench.peerPollingInterval.toString()));
    a.addAll(workloadArgs(w));
    if (immediate) {
      a.add("--immediate");
    }
    if (bench.dataRoot != null) {
      a.addAll(List.of("--data-root", bench.dataRoot.toString()));
    }
    return a;
  }

  private List<String> workloadArgs(Workload w) {
    if (w == Workload.W3) {
      return List.of("--rate", Double.toString(bench.rate), "--duration", Integer.toString(bench.durationSeconds));
    }
    return List.of("--items", Integer.toString(items(w)));
  }

  int items(Workload w) {
    return bench.items != null ? bench.items : (w == Workload.W1 ? 20_000 : 5_000);
  }

  private String runs() {
    return bench.warm ? "2" : "1";
  }

  /** Generous: the runs, JVM start and shutdown, then a kill. */
  private long childTimeoutSeconds(Workload w) {
    int runs = bench.warm ? 2 : 1;
    long perRun = bench.timeoutSeconds + (w == Workload.W3 ? bench.durationSeconds : 0) + 60L;
    return runs * perRun;
  }

  /**
   * The medians of each system and the ratio to the first (Rebound). W1/W2: items/s, and
   * Rebound ÷ peer (above 1 means Rebound is faster). W3: latencies, and Rebound's p99 ÷ the
   * peer's (below 1 means Rebound's tail is shorter).
   */
  static String summary(Workload w, List<Contender> systems, List<List<RunResult>> results, String kind) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%s %s (median of %d):", w, kind, results.get(0).size()));
    double reboundItems = Stats.median(results.get(0), RunResult::itemsPerSec);
    double reboundP99 = Stats.median(results.get(0), RunResult::p99Ms);
    for (int s = 0; s < systems.size(); s++) {
      List<RunResult> rs = results.get(s);
      double items = Stats.median(rs, RunResult::itemsPerSec);
      double p50 = Stats.median(rs, RunResult::p50Ms);
      double p99 = Stats.median(rs, RunResult::p99Ms);
      double max = Stats.median(rs, RunResult::maxMs);
      double cpu = Stats.median(rs, RunResult::cpuMsPerItem);
      b.append(String.format(Locale.ROOT, "%n  %-24s", systems.get(s).name()));
      if (w == Workload.W3) {
        b.append(String.format(Locale.ROOT, "p50=%.1fms p99=%.1fms max=%.1fms offered=%.0f/s cpu/item=%.2fms", p50, p99, max, items, cpu));
      } else {
        b.append(String.format(Locale.ROOT, "items/s=%.0f p50=%.0fms p99=%.0fms cpu/item=%.2fms", items, p50, p99, cpu));
      }
      b.append(" runs=").append(rs.stream().map(r -> fmt(w == Workload.W3 ? r.p99Ms() : r.itemsPerSec())).toList());
      if (s > 0) {
        b.append(w == Workload.W3
            ? String.format(Locale.ROOT, "  rebound p99 / this p99 = %.2f", Stats.ratio(reboundP99, p99))
            : String.format(Locale.ROOT, "  rebound / this = %.2fx", Stats.ratio(reboundItems, items)));
      }
    }
    return b.toString();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
