package io.rebound.bench.peer;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerBuilder;
import com.github.kagkarlsson.scheduler.event.AbstractSchedulerListener;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.logging.LogLevel;
import io.rebound.bench.Bench.Workload;
import io.rebound.bench.CpuClock;
import io.rebound.bench.LatencyRecorder;
import io.rebound.bench.RatePacer;
import io.rebound.bench.RunResult;
import io.rebound.bench.Stats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * One run of a workload on db-scheduler, the peer of issue 13, set up as its docs say and as
 * close to Rebound's bench as its model allows: its own H2 file database with the same H2
 * settings Rebound uses for its own, the {@code scheduled_tasks} table from its docs, one-time
 * tasks scheduled for now, and as many executor threads as Rebound's queue gets concurrency.
 *
 * <p>An item is done when db-scheduler reports its execution complete: it calls its listeners
 * after the completion handler has deleted the row, so that moment is as durable as Rebound's
 * SUCCEEDED.
 */
public final class DbSchedulerRun {

  /** What to run, and how db-scheduler is configured for it. */
  public record Settings(
      Workload workload, int items, int threads, Duration pollingInterval, boolean immediateExecution,
      double rate, Duration duration, Path dataRoot, Duration timeout) {

    /** How this configuration is named in result lines. */
    public String system() {
      return immediateExecution ? "db-scheduler+immediate" : "db-scheduler";
    }
  }

  /** The table from db-scheduler's docs (its HSQLDB definition, which H2 accepts) and its indexes. */
  private static final List<String> SCHEMA = List.of("""
      create table scheduled_tasks (
        task_name varchar(100) not null,
        task_instance varchar(100) not null,
        task_data blob,
        execution_time timestamp with time zone not null,
        picked boolean not null,
        picked_by varchar(50),
        last_success timestamp with time zone,
        last_failure timestamp with time zone,
        consecutive_failures int,
        last_heartbeat timestamp with time zone,
        version bigint not null,
        priority smallint,
        primary key (task_name, task_instance))""",
      "create index execution_time_idx on scheduled_tasks (execution_time)",
      "create index last_heartbeat_idx on scheduled_tasks (last_heartbeat)");

  private DbSchedulerRun() {}

  /**
   * Runs once on a fresh H2 file under {@code settings.dataRoot()}, deleted afterwards.
   *
   * @param run the run's number in this JVM (1 = cold)
   * @param cpu charged with this run's CPU (see {@link RunResult#cpuMsPerItem()})
   * @param problems where to add what went wrong; empty afterwards when the run is ok
   */
  public static RunResult run(Settings settings, int run, CpuClock cpu, List<String> problems) throws Exception {
    Path dir = Files.createTempDirectory(settings.dataRoot(), "rebound-bench-peer-");
    // Rebound's own H2 URL options (ReboundSettings.effectiveDatabaseUrl), so both get the same page cache.
    String url = "jdbc:h2:file:" + dir.resolve("peer")
        + ";DATABASE_TO_UPPER=false;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE;CACHE_SIZE=131072;MAX_LENGTH_INPLACE_LOB=8192";
    JdbcConnectionPool pool = JdbcConnectionPool.create(url, "sa", "");
    // Every executor thread may hold a connection, plus the poller, the housekeeper and the producer.
    pool.setMaxConnections(settings.threads() + 4);
    try {
      createTable(pool);
      return measure(settings, run, cpu, problems, pool);
    } finally {
      pool.dispose();
      deleteRecursively(dir);
    }
  }

  private static RunResult measure(Settings s, int run, CpuClock cpu, List<String> problems, JdbcConnectionPool pool)
      throws InterruptedException {
    Workload w = s.workload();
    int failuresPerItem = w == Workload.W2 ? 2 : 0;
    AtomicInteger invocations = new AtomicInteger();
    OneTimeTask<Void> task = Tasks.oneTime("bench-" + w.name().toLowerCase(java.util.Locale.ROOT))
        // W2's "no backoff": a failed execution is due again at once (the default waits 5 minutes).
        .onFailure(new FailureHandler.OnFailureRetryLater<>(Duration.ZERO))
        .execute((instance, ctx) -> {
          invocations.incrementAndGet();
          if (ctx.getExecution().consecutiveFailures < failuresPerItem) {
            throw new IllegalStateException("planned failure " + (ctx.getExecution().consecutiveFailures + 1));
          }
        });

    LatencyRecorder latency = new LatencyRecorder();
    Listener listener = new Listener(latency);
    SchedulerBuilder builder = Scheduler.create(pool, task)
        .threads(s.threads())
        .pollingInterval(s.pollingInterval())
        // W2's planned failures are the workload, not news: a WARN with a stack trace for each
        // would charge db-scheduler for logging Rebound's bench does not do either.
        .failureLogging(LogLevel.DEBUG, false)
        .addSchedulerListener(listener);
    if (s.immediateExecution()) {
      builder.enableImmediateExecution();
    }
    Scheduler scheduler = builder.build();
    scheduler.start();
    try {
      long t0 = System.nanoTime();
      long deadline = t0 + s.timeout().toNanos();
      int sent;
      long lastSent;
      if (w == Workload.W3) {
        RatePacer pacer = new RatePacer(t0, s.rate());
        long n = pacer.itemsWithin(s.duration().toNanos());
        for (sent = 0; sent < n; sent++) {
          long due = pacer.awaitTurn(sent);
          schedule(scheduler, task, sent, latency, due);
        }
      } else {
        // As fast as a caller can: schedule() returns once the row is committed, one at a time.
        for (sent = 0; sent < s.items(); sent++) {
          schedule(scheduler, task, sent, latency, System.nanoTime());
        }
      }
      lastSent = System.nanoTime();
      while (latency.finishedCount() < sent && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      long cpuNanos = cpu.sinceLast();
      double[] ms = latency.sortedMillis();
      if (w == Workload.W3) {
        System.out.println("W3 " + s.system() + " " + latency.p99PerWindow(t0, java.util.concurrent.TimeUnit.SECONDS.toNanos(10)));
      }
      int expectedInvocations = sent * (1 + failuresPerItem);
      if (latency.finishedCount() != sent) {
        problems.add("succeeded=" + latency.finishedCount() + " of " + sent + " within " + s.timeout().toSeconds() + "s");
      }
      if (invocations.get() != expectedInvocations) {
        problems.add("invocations=" + invocations.get() + ", expected " + expectedInvocations);
      }
      if (listener.errors.get() > 0) {
        problems.add(listener.errors.get() + " completion/failure handler errors");
      }
      double itemsPerSec = w == Workload.W3
          ? sent / ((lastSent - t0) / 1e9)
          : latency.finishedCount() == sent ? sent / ((listener.lastDone.get() - t0) / 1e9) : Double.NaN;
      return new RunResult(s.system(), w.name(), run, sent, itemsPerSec,
          Stats.percentile(ms, 0.50), Stats.percentile(ms, 0.99), ms.length == 0 ? Double.NaN : ms[ms.length - 1],
          CpuClock.msPerItem(cpuNanos, sent), problems.isEmpty());
    } finally {
      scheduler.stop();
    }
  }

  private static void schedule(Scheduler scheduler, OneTimeTask<Void> task, int k, LatencyRecorder latency, long startNanos) {
    String id = "item-" + k;
    latency.started(id, startNanos);
    scheduler.schedule(task.instance(id), Instant.now());
  }

  /** Stamps each successful completion; counts handler errors, which would leave rows behind. */
  private static final class Listener extends AbstractSchedulerListener {
    final LatencyRecorder latency;
    final AtomicLong lastDone = new AtomicLong();
    final AtomicInteger errors = new AtomicInteger();

    Listener(LatencyRecorder latency) {
      this.latency = latency;
    }

    @Override
    public void onExecutionComplete(ExecutionComplete done) {
      if (done.getResult() == ExecutionComplete.Result.OK) {
        long now = System.nanoTime();
        latency.finished(done.getExecution().taskInstance.getId(), now);
        lastDone.accumulateAndGet(now, Math::max);
      }
    }

    @Override
    public void onSchedulerEvent(SchedulerEventType type) {
      if (type == SchedulerEventType.COMPLETIONHANDLER_ERROR || type == SchedulerEventType.FAILUREHANDLER_ERROR) {
        errors.incrementAndGet();
      }
    }
  }

  private static void createTable(JdbcConnectionPool pool) throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      for (String ddl : SCHEMA) {
        st.execute(ddl);
      }
    }
  }

  private static void deleteRecursively(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      System.err.println("warning: could not delete " + dir + ": " + e.getMessage());
    }
  }
}
