package io.rebound.core.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.rebound.core.limit.HeldBack;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code rebound_limit_held_back{queue,group}}: items waiting on this node that a rate or group
 * limit holds back. Groups are unbounded (customer ids), so each queue shows its {@code top}
 * groups by count and sums the rest under {@code group="(other)"}; items without a group show as
 * {@code group="(none)"}.
 */
public final class HeldBackGauges {
  public static final String OTHER = "(other)";
  public static final String NONE = "(none)";

  private final MultiGauge gauge;
  private final HeldBack source;
  private final int top;

  public HeldBackGauges(MeterRegistry registry, HeldBack source, int top) {
    this.gauge = MultiGauge.builder("rebound.limit.held.back")
        .description("Items waiting on this node for a permit that a rate or group limit holds back, per queue and group")
        .register(registry);
    this.source = source;
    this.top = top;
  }

  /** Reads the latest figures into the gauge's rows (rows of groups no longer held back go). */
  public void refresh() {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    rows(source.all(), top).forEach((queue, groups) ->
        groups.forEach((group, n) -> rows.add(MultiGauge.Row.of(Tags.of("queue", queue, "group", group), n))));
    gauge.register(rows, true);
  }

  /** Per queue: the top groups by count, the rest summed under {@link #OTHER}. */
  static Map<String, Map<String, Integer>> rows(Map<String, Map<String, Integer>> all, int top) {
    Map<String, Map<String, Integer>> out = new java.util.TreeMap<>();
    all.forEach((queue, groups) -> {
      Map<String, Integer> q = new java.util.TreeMap<>();
      List<Map.Entry<String, Integer>> sorted = groups.entrySet().stream()
          .sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
          .toList();
      for (int i = 0; i < sorted.size(); i++) {
        String g = sorted.get(i).getKey().isEmpty() ? NONE : sorted.get(i).getKey();
        q.merge(i < top ? g : OTHER, sorted.get(i).getValue(), Integer::sum);
      }
      if (!q.isEmpty()) {
        out.put(queue, q);
      }
    });
    return out;
  }
}
