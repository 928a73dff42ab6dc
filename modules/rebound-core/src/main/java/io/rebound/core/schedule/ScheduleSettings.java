package io.rebound.core.schedule;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.config.ReboundConfigException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * {@code rebound.schedules.<name>} (each over {@code rebound.schedule-defaults}) and {@code
 * rebound.scheduler}, validated once at start: a bad cron, zone, queue or {@code missed} is an
 * error naming the key.
 *
 * @param schedules by name
 * @param misfireThreshold how late the current tick may be and still run on time ({@link Catchup})
 * @param runAllMax the most missed ticks {@code missed = run-all} enqueues after downtime (the latest ones)
 * @param retryInterval after a failed enqueue (node overloaded, database down), the tick is tried again after this
 */
public record ScheduleSettings(Map<String, Schedule> schedules, Duration misfireThreshold, int runAllMax, Duration retryInterval) {

  public ScheduleSettings {
    schedules = Map.copyOf(schedules);
    positive("rebound.scheduler.misfire-threshold", misfireThreshold);
    positive("rebound.scheduler.retry-interval", retryInterval);
    if (runAllMax < 1 || runAllMax > 10_000) {
      throw new ReboundConfigException("rebound.scheduler.run-all-max", "must be between 1 and 10000, was " + runAllMax);
    }
  }

  /**
   * @param queues the configured queues: a schedule's queue must be one of them
   * @throws ReboundConfigException naming the first key that is wrong
   */
  public static ScheduleSettings from(Config root, Set<String> queues) {
    Duration misfire = read("rebound.scheduler.misfire-threshold", () -> root.getDuration("rebound.scheduler.misfire-threshold"));
    int runAllMax = read("rebound.scheduler.run-all-max", () -> root.getInt("rebound.scheduler.run-all-max"));
    Duration retry = read("rebound.scheduler.retry-interval", () -> root.getDuration("rebound.scheduler.retry-interval"));
    Config defaults = root.getConfig("rebound.schedule-defaults");
    Config all = read("rebound.schedules", () -> root.getConfig("rebound.schedules"));
    Map<String, Schedule> out = new LinkedHashMap<>();
    for (String name : new TreeSet<>(all.root().keySet())) {
      String prefix = "rebound.schedules." + ConfigUtil.joinPath(name);
      Config s = read(prefix, () -> all.getConfig(ConfigUtil.joinPath(name))).withFallback(defaults);
      out.put(name, schedule(prefix, name, s, queues));
    }
    return new ScheduleSettings(out, misfire, runAllMax, retry);
  }

  private static Schedule schedule(String prefix, String name, Config s, Set<String> queues) {
    Schedule.Builder b = read(prefix, () -> Schedule.builder(name));
    read(prefix + ".cron", () -> b.cron(s.getString("cron")));
    read(prefix + ".zone", () -> b.zone(s.getString("zone")));
    String queue = read(prefix + ".queue", () -> s.getString("queue"));
    read(prefix + ".queue", () -> b.queue(queue));
    if (!queues.contains(queue)) {
      throw new ReboundConfigException(prefix + ".queue", "unknown queue '" + queue + "' (configure it under rebound.queues; known: "
          + String.join(", ", new TreeSet<>(queues)) + ")");
    }
    // Any JSON value: an object, a list, a string or a number, rendered as JSON.
    String payload = read(prefix + ".payload", () -> s.getValue("payload").render(ConfigRenderOptions.concise()));
    read(prefix + ".payload", () -> b.payload(payload));
    read(prefix + ".priority", () -> b.priority(s.getInt("priority")));
    read(prefix + ".missed", () -> b.missed(Missed.parse(s.getString("missed"))));
    Schedule schedule = b.build();
    // The items it will enqueue must be valid: the same checks an enqueue makes (key length above all).
    read(prefix, () -> EnqueueRequest.builder(schedule.payload()).priority(schedule.priority())
        .key(schedule.triggerKey(Instant.parse("2000-01-01T00:00:00.000000001Z"))).build());
    return schedule;
  }

  private static <T> T read(String key, Supplier<T> reader) {
    return ReboundConfigException.reading(key, reader);
  }

  private static void positive(String key, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new ReboundConfigException(key, "must be more than 0, was " + d);
    }
  }
}
