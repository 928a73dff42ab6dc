package io.rebound.multijvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the handler itself saw: a process handler (a shell script) that appends a line when it
 * starts and one when it ends, killed or not, each with the item id, the execution number (the
 * fencing token, {@code REBOUND_EXECUTION}) and the wall clock in nanoseconds. Every node runs on
 * this machine, so the clocks are one. A record spans less than its handler call on the node (it
 * starts after the process and ends before it exits), so two records of one item that overlap
 * are two handler calls that overlapped.
 */
final class ExecutionLog {
  private static final String SCRIPT = """
      #!/bin/sh
      # $1: the log to append to; $2: seconds to work; $3: first characters of the item ids whose
      # first execution fails (exit 75, transient) after its work; $4: ... whose first execution
      # hangs (until Rebound kills it).
      log=$1
      echo "start $REBOUND_ITEM_ID $REBOUND_EXECUTION $(date +%s%N)" >> "$log"
      # Killed (a timeout, a cancel, a handoff): record the end before going.
      trap 'echo "end $REBOUND_ITEM_ID $REBOUND_EXECUTION $(date +%s%N) killed" >> "$log"; exit 75' TERM INT
      first=${REBOUND_ITEM_ID%"${REBOUND_ITEM_ID#?}"}
      work=$2
      case "$4" in
        *"$first"*) if [ "$REBOUND_EXECUTION" = 1 ]; then work=600; fi ;;
      esac
      sleep "$work" &
      wait $!
      case "$3" in
        *"$first"*) if [ "$REBOUND_EXECUTION" = 1 ]; then
            echo "end $REBOUND_ITEM_ID $REBOUND_EXECUTION $(date +%s%N) failed" >> "$log"; exit 75
          fi ;;
      esac
      echo "end $REBOUND_ITEM_ID $REBOUND_EXECUTION $(date +%s%N)" >> "$log"
      """;

  /**
   * One handler call: its start and end (Long.MAX_VALUE while none is recorded), and how it ended:
   * "" (success), "failed" (exit 75, as told) or "killed".
   */
  record Execution(String item, int execution, long start, long end, String how) {
    boolean ended() {
      return end != Long.MAX_VALUE;
    }
  }

  final Path log;
  private final Path script;

  ExecutionLog(Path dir) throws IOException {
    this.log = dir.resolve("executions.log");
    this.script = dir.resolve("record-execution.sh");
    Files.deleteIfExists(log);
    Files.createFile(log);
    Files.writeString(script, SCRIPT);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /**
   * A queue whose handler is this log's script, working {@code seconds} per call; the first call
   * of an item whose id starts with one of {@code failFirst} (hex digits) fails, transiently, so
   * that such items wait 3 s for their retry; the first call of one that starts with one of {@code
   * hangFirst} works until the queue's {@code attemptTimeout} has Rebound kill it.
   */
  String queueConfig(String queue, String seconds, String failFirst, String hangFirst, String attemptTimeout, int concurrency, int maxAttempts) {
    return """

        rebound.queues.%s {
          handler { type = process, command = ["%s", "%s", "%s", "%s", "%s"] }
          concurrency = %d
          attempt-timeout = %s
          retry { max-attempts = %d, backoff = exponential, initial = 3s, max-interval = 3s, jitter = none }
        }
        """.formatted(queue, script.toAbsolutePath(), log.toAbsolutePath(), seconds, failFirst, hangFirst, concurrency, attemptTimeout, maxAttempts);
  }

  /** Every handler call recorded so far, per item, in order of start. */
  Map<String, List<Execution>> read() throws IOException {
    Map<String, Map<Integer, long[]>> byItem = new HashMap<>();
    Map<String, String> how = new HashMap<>();
    List<String> repeated = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      String[] f = line.trim().split(" ");
      if (f.length < 4) {
        continue; // a line cut by a kill in the middle of its write
      }
      Map<Integer, long[]> execs = byItem.computeIfAbsent(f[1], k -> new TreeMap<>());
      int execution = Integer.parseInt(f[2]);
      long at = Long.parseLong(f[3]);
      if (f[0].equals("start")) {
        if (execs.putIfAbsent(execution, new long[] {at, Long.MAX_VALUE}) != null) {
          repeated.add(f[1] + " execution " + execution);
        }
      } else {
        long[] span = execs.computeIfAbsent(execution, k -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE});
        // A kill can race the normal end: the last line written is the end.
        span[1] = span[1] == Long.MAX_VALUE ? at : Math.max(span[1], at);
        how.merge(f[1] + " " + execution, f.length > 4 ? f[4] : "", (a, b) -> a.isEmpty() ? b : a);
      }
    }
    assertTrue(repeated.isEmpty(), "one execution number ran twice (the fencing token was reused): " + repeated);
    Map<String, List<Execution>> out = new HashMap<>();
    byItem.forEach((item, execs) -> {
      List<Execution> list = new ArrayList<>();
      execs.forEach((n, span) -> list.add(new Execution(item, n, span[0], span[1], how.getOrDefault(item + " " + n, ""))));
      list.sort(Comparator.comparingLong(Execution::start));
      out.put(item, list);
    });
    return out;
  }

  /**
   * Fails unless each of {@code ids} had at least one handler call and none of an item's calls
   * overlapped another (each started after the previous one ended); answers the calls per item.
   */
  Map<String, List<Execution>> assertNoOverlap(List<String> ids) throws IOException {
    Map<String, List<Execution>> all = read();
    List<String> problems = new ArrayList<>();
    for (String id : ids) {
      List<Execution> execs = all.getOrDefault(id, List.of());
      if (execs.isEmpty()) {
        problems.add(id + ": the handler never ran");
      }
      for (int i = 0; i < execs.size(); i++) {
        Execution e = execs.get(i);
        if (e.start() == Long.MIN_VALUE || !e.ended()) {
          problems.add(id + ": execution " + e.execution() + (e.ended() ? " has no start" : " never ended"));
        }
        if (i > 0 && e.start() < execs.get(i - 1).end()) {
          Execution prev = execs.get(i - 1);
          problems.add(id + ": execution " + e.execution() + " started " + (prev.end() - e.start()) / 1_000_000
              + " ms before execution " + prev.execution() + " ended");
        }
      }
    }
    assertTrue(problems.isEmpty(), problems.size() + " problems, e.g. " + problems.subList(0, Math.min(10, problems.size())));
    return all;
  }

  /**
   * Fails unless the item's history has exactly one success, of a handler call that ended
   * normally, and every other handler call is there as a failed attempt: a handler call runs again
   * only when its outcome was never persisted (the node restarted the item and recorded it
   * ORPHANED), never after a success.
   */
  static void assertOneRecordedSuccess(NodeProcess node, String id, List<Execution> execs) throws IOException, InterruptedException {
    Api.Reply r = Api.getPatiently(node.api() + "/v1/items/" + id + "/history");
    assertTrue(r.ok(), "history of " + id + ": " + r.text());
    Map<Integer, String> outcome = new HashMap<>();
    List<Integer> succeeded = new ArrayList<>();
    List<Integer> started = new ArrayList<>();
    for (JsonNode e : r.body().path("events")) {
      int execution = e.path("execution").asInt();
      switch (e.path("type").asText()) {
        case "attempt-started" -> started.add(execution);
        case "succeeded" -> succeeded.add(execution);
        case "attempt-failed" -> outcome.put(execution, e.path("kind").asText());
        default -> { }
      }
    }
    assertTrue(succeeded.size() == 1, id + " succeeded " + succeeded.size() + " times in its history: " + r.text());
    for (Execution e : execs) {
      assertTrue(started.contains(e.execution()), id + ": the handler ran execution " + e.execution() + ", which the journal never started: " + r.text());
      if (e.execution() == succeeded.get(0)) {
        assertTrue(e.how().isEmpty(), id + ": its succeeded execution " + e.execution() + " ended " + e.how());
      } else {
        assertTrue(outcome.containsKey(e.execution()), id + ": the handler's execution " + e.execution()
            + " is neither its success nor a failed attempt: " + r.text());
        if (e.how().equals("failed")) {
          // ORPHANED when the node could not write the outcome (it restarted the item instead).
          assertTrue(List.of("TRANSIENT", "ORPHANED").contains(outcome.get(e.execution())),
              id + ": execution " + e.execution() + " exited 75: " + r.text());
        }
      }
    }
    assertTrue(execs.stream().anyMatch(e -> e.execution() == succeeded.get(0)),
        id + ": the handler has no record of its succeeded execution " + succeeded.get(0));
  }
}
