package io.rebound.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.bench.Bench.Workload;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * W1 on 200 items, Rebound and db-scheduler each in a child JVM as {@code --peer db-scheduler}
 * starts them: both must come back with a result line whose every item succeeded.
 */
class PeerSmokeTest {

  @Test
  void w1WithThePeerOnATinyRunGivesAResultFromReboundAndFromDbScheduler() throws Exception {
    Bench bench = new Bench();
    new CommandLine(bench).setCaseInsensitiveEnumValuesAllowed(true)
        .parseArgs("--peer", "db-scheduler", "--workload", "W1", "--items", "200", "--concurrency", "16", "--timeout", "60");
    PeerComparison comparison = new PeerComparison(bench, List.of(Workload.W1));

    List<PeerComparison.Contender> contenders = comparison.systems(Workload.W1);
    assertEquals(List.of("rebound", "db-scheduler"), contenders.stream().map(PeerComparison.Contender::name).toList());

    for (PeerComparison.Contender c : contenders) {
      List<RunResult> results = ChildJvm.run(c.mainClass(), c.args(), 120);

      assertEquals(1, results.size(), c.name() + " printed one result line");
      RunResult r = results.get(0);
      assertEquals(c.name(), r.system());
      assertEquals("W1", r.workload());
      assertEquals(200, r.items());
      assertTrue(r.ok(), c.name() + " ran every item exactly once: " + r.line());
      assertTrue(r.itemsPerSec() > 0, r.line());
      assertTrue(r.cpuMsPerItem() > 0, r.line());
    }
  }
}
