package io.rebound.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rebound.core.replay.RecordedItem;
import io.rebound.core.replay.ReplayReport;
import io.rebound.core.replay.ReplaySimulator;
import io.rebound.core.replay.ReplaySummary;
import java.time.Duration;
import java.util.Map;

/** How a what-if replay looks on the wire (docs/API.md, docs/REPLAY.md). */
final class ReplayJson {
  private ReplayJson() {}

  static ObjectNode report(ReplayReport r) {
    ReplaySummary s = r.summary();
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("queue", r.request().queue());
    ObjectNode window = n.putObject("window");
    window.put("from", r.request().from().toString());
    window.put("to", r.request().to().toString());
    n.put("policy", r.request().policy().toString());
    counts(n, s.all());
    ObjectNode attempts = n.putObject("attempts");
    attempts.put("recorded", s.recordedAttempts());
    attempts.put("replayed", s.replayedAttempts());
    ObjectNode time = n.putObject("timeToSuccess");
    ObjectNode rec = time.putObject("recorded");
    duration(rec, "p50", s.recordedTimeToSuccess(50));
    duration(rec, "p99", s.recordedTimeToSuccess(99));
    ObjectNode rep = time.putObject("replayed");
    duration(rep, "p50", s.replayedTimeToSuccess(50));
    duration(rep, "p99", s.replayedTimeToSuccess(99));
    ObjectNode kinds = n.putObject("byErrorKind");
    s.byErrorKind().forEach((kind, c) -> counts(kinds.putObject(kind), c));
    ObjectNode changed = n.putObject("changed");
    changed.put("total", s.changed());
    ArrayNode items = changed.putArray("items");
    for (ReplaySummary.Change c : s.changes()) {
      ObjectNode o = items.addObject();
      o.put("id", c.id());
      o.put("recorded", c.recorded().name());
      o.put("replayed", c.replayed().name());
      ObjectNode a = o.putObject("attempts");
      a.put("recorded", c.recordedAttempts());
      a.put("replayed", c.replayedAttempts());
    }
    if (s.nextChanges() == null) {
      changed.putNull("next");
    } else {
      changed.put("next", s.nextChanges());
    }
    return n;
  }

  private static void counts(ObjectNode n, ReplaySummary.Counts c) {
    n.put("items", c.items());
    ObjectNode recorded = n.putObject("recorded");
    for (Map.Entry<RecordedItem.Outcome, Long> e : c.recorded().entrySet()) {
      recorded.put(e.getKey().name(), e.getValue());
    }
    ObjectNode replayed = n.putObject("replayed");
    for (Map.Entry<ReplaySimulator.Outcome, Long> e : c.replayed().entrySet()) {
      replayed.put(e.getKey().name(), e.getValue());
    }
  }

  private static void duration(ObjectNode n, String field, Duration d) {
    if (d == null) {
      n.putNull(field);
    } else {
      n.put(field, d.toString());
    }
  }
}
