package io.rebound.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/** Everything under {@code rebound { ... }}, read and validated once at start. */
public record ReboundSettings(
    Path dataDir,
    String databaseUrl,
    int maxConcurrency,
    Duration shutdownTimeout,
    Duration askTimeout,
    Map<String, QueueSettings> queues,
    Map<String, Config> handlers,
    Map<String, ToolSettings> tools,
    RetentionSettings retention) {

  /**
   * Reads the {@code rebound} section of a resolved config; each queue is layered over {@code
   * rebound.queue-defaults}.
   *
   * @throws ReboundConfigException naming the first key that is wrong
   */
  public static ReboundSettings from(Config root) {
    Config c = root.getConfig("rebound");
    Path dataDir = Path.of(read("rebound.data-dir", () -> c.getString("data-dir"))).toAbsolutePath().normalize();
    String url = read("rebound.database.url", () -> c.getString("database.url"));
    int maxConcurrency = read("rebound.max-concurrency", () -> c.getInt("max-concurrency"));
    if (maxConcurrency < 1) {
      throw new ReboundConfigException("rebound.max-concurrency", "must be at least 1, was " + maxConcurrency);
    }
    Duration shutdown = read("rebound.shutdown-timeout", () -> c.getDuration("shutdown-timeout"));
    Duration ask = read("rebound.ask-timeout", () -> c.getDuration("ask-timeout"));
    Map<String, ToolSettings> tools = tools(c);
    // Read before the queues, so that a bad default is reported under queue-defaults, not under
    // the first queue that inherits it.
    RetentionSettings retention = retention(c);
    Config defaults = c.getConfig("queue-defaults");
    Map<String, QueueSettings> queues = new LinkedHashMap<>();
    Map<String, Config> handlers = new LinkedHashMap<>();
    Config qs = c.getConfig("queues");
    for (String name : new TreeSet<>(qs.root().keySet())) {
      String prefix = "rebound.queues." + name;
      Config q = read(prefix, () -> qs.getConfig(ConfigUtil.joinPath(name)))
          .withFallback(defaults);
      QueueSettings settings = queue(prefix, name, q);
      for (String tool : settings.tools()) {
        if (!tools.containsKey(tool)) {
          throw new ReboundConfigException(prefix + ".tools", "unknown tool '" + tool + "' (configure it under rebound.tools)");
        }
      }
      queues.put(name, settings);
      handlers.put(name, read(prefix + ".handler", () -> q.getConfig("handler")));
    }
    return new ReboundSettings(dataDir, url, maxConcurrency, shutdown, ask, Map.copyOf(queues), Map.copyOf(handlers), Map.copyOf(tools), retention);
  }

  /** The database URL to use: the configured one, or an H2 file under {@link #dataDir()}. */
  public String effectiveDatabaseUrl() {
    if (!databaseUrl.isBlank()) {
      return databaseUrl;
    }
    // MAX_LENGTH_INPLACE_LOB: the journal's payloads are BLOBs, and H2 moves one longer than 256
    // bytes (an attempt's error, a bigger payload) to its LOB store, an extra map write and read.
    return "jdbc:h2:file:" + dataDir.resolve("rebound")
        + ";DATABASE_TO_UPPER=false;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE;CACHE_SIZE=131072;MAX_LENGTH_INPLACE_LOB=8192";
  }

  /**
   * The settings of an item whose queue is no longer configured: {@code rebound.queue-defaults}
   * alone (its max-park, park-retry and kill grace still apply to it).
   */
  public static QueueSettings queueDefaults(Config root) {
    return queue("rebound.queue-defaults", "defaults", root.getConfig("rebound.queue-defaults"));
  }

  private static QueueSettings queue(String prefix, String name, Config q) {
    QueueSettings.Builder b = read(prefix, () -> QueueSettings.builder(name));
    read(prefix + ".concurrency", () -> b.concurrency(q.getInt("concurrency")));
    read(prefix + ".attempt-timeout", () -> b.attemptTimeout(q.getDuration("attempt-timeout")));
    read(prefix + ".attempt-kill-grace", () -> b.attemptKillGrace(q.getDuration("attempt-kill-grace")));
    read(prefix + ".stop-grace", () -> b.stopGrace(q.getDuration("stop-grace")));
    read(prefix + ".park-retry", () -> b.parkRetry(q.getDuration("park-retry")));
    read(prefix + ".tools", () -> b.tools(q.getStringList("tools")));
    read(prefix + ".max-park", () -> b.maxPark(q.getDuration("max-park")));
    read(prefix + ".rate-limit", () -> b.rateLimit(rate(q.getConfig("rate-limit"))));
    read(prefix + ".group-concurrency", () -> b.groupConcurrency(q.getInt("group-concurrency")));
    read(prefix + ".group-rate-limit", () -> b.groupRateLimit(rate(q.getConfig("group-rate-limit"))));
    b.retryPolicy(retry(prefix + ".retry", read(prefix + ".retry", () -> q.getConfig("retry"))));
    b.retention(retentionPeriods(prefix + ".retention", read(prefix + ".retention", () -> q.getConfig("retention"))));
    return b.build();
  }

  private static RateLimit rate(Config c) {
    return RateLimit.of(c.getDouble("per-second"), c.getInt("burst"));
  }

  /** Reads {@code rebound.retention}, with {@code queue-defaults.retention} for queues no longer configured. */
  private static RetentionSettings retention(Config c) {
    boolean enabled = read("rebound.retention.enabled", () -> c.getBoolean("retention.enabled"));
    Duration interval = read("rebound.retention.interval",
        () -> RetentionSettings.checkInterval(c.getDuration("retention.interval")));
    int batchSize = read("rebound.retention.batch-size",
        () -> RetentionSettings.checkBatchSize(c.getInt("retention.batch-size")));
    RetentionPeriods defaults = retentionPeriods("rebound.queue-defaults.retention",
        read("rebound.queue-defaults.retention", () -> c.getConfig("queue-defaults.retention")));
    return new RetentionSettings(enabled, interval, batchSize, defaults);
  }

  private static RetentionPeriods retentionPeriods(String prefix, Config r) {
    RetentionPeriods.Builder b = RetentionPeriods.builder();
    read(prefix + ".succeeded", () -> b.succeeded(r.getDuration("succeeded")));
    read(prefix + ".dead-lettered", () -> b.deadLettered(r.getDuration("dead-lettered")));
    read(prefix + ".cancelled", () -> b.cancelled(r.getDuration("cancelled")));
    return b.build();
  }

  /** Reads {@code rebound.tools.<name>}, each layered over {@code rebound.tool-defaults}. */
  private static Map<String, ToolSettings> tools(Config c) {
    Map<String, ToolSettings> out = new LinkedHashMap<>();
    Config all = read("rebound.tools", () -> c.getConfig("tools"));
    Config defaults = c.getConfig("tool-defaults");
    for (String name : new TreeSet<>(all.root().keySet())) {
      String prefix = "rebound.tools." + name;
      Config t = read(prefix, () -> all.getConfig(ConfigUtil.joinPath(name))).withFallback(defaults);
      Config probe = read(prefix + ".probe", () -> t.getConfig("probe"));
      Duration interval = read(prefix + ".probe.interval", () -> positive(probe.getDuration("interval")));
      Duration timeout = read(prefix + ".probe.timeout", () -> positive(probe.getDuration("timeout")));
      int rate = read(prefix + ".release-rate", () -> between(t.getInt("release-rate"), 1, 100_000));
      int failures = read(prefix + ".breaker.max-failures", () -> between(t.getInt("breaker.max-failures"), 1, 10_000));
      out.put(name, new ToolSettings(name, probe, interval, timeout, rate, failures));
    }
    return out;
  }

  private static Duration positive(Duration d) {
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("must be more than 0, was " + d);
    }
    return d;
  }

  private static int between(int v, int min, int max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException("must be between " + min + " and " + max + ", was " + v);
    }
    return v;
  }

  /** Reads a {@code retry { ... }} block; {@code on.<kind> { ... }} overrides it for one error kind. */
  static RetryPolicy retry(String prefix, Config r) {
    RetryPolicy.Builder b = retryFields(prefix, r);
    if (r.hasPath("on")) {
      Config on = read(prefix + ".on", () -> r.getConfig("on"));
      for (String kindName : on.root().keySet()) {
        String key = prefix + ".on." + kindName;
        ErrorKind kind = read(key, () -> ErrorKind.valueOf(kindName.toUpperCase(Locale.ROOT).replace('-', '_')));
        Config own = read(key, () -> on.getConfig(ConfigUtil.joinPath(kindName))).withFallback(r.withoutPath("on"));
        RetryPolicy kindPolicy = built(key, retryFields(key, own));
        read(key, () -> b.override(kind, kindPolicy));
      }
    }
    return built(prefix, b);
  }

  /** The only rule build() checks across fields is max-interval's, so its error names that key. */
  private static RetryPolicy built(String prefix, RetryPolicy.Builder b) {
    return read(prefix + ".max-interval", b::build);
  }

  private static RetryPolicy.Builder retryFields(String prefix, Config r) {
    RetryPolicy.Builder b = RetryPolicy.builder();
    read(prefix + ".max-attempts", () -> b.maxAttempts(r.getInt("max-attempts")));
    read(prefix + ".initial", () -> b.initial(r.getDuration("initial")));
    read(prefix + ".max-interval", () -> b.maxInterval(r.getDuration("max-interval")));
    read(prefix + ".multiplier", () -> b.multiplier(r.getDouble("multiplier")));
    read(prefix + ".jitter", () -> b.jitter(RetryPolicy.Jitter.valueOf(upper(r.getString("jitter")))));
    // The schedule is validated even when unused, so that a bad one is reported where it is written.
    read(prefix + ".schedule", () -> b.schedule(r.getDurationList("schedule")));
    String backoff = read(prefix + ".backoff", () -> upper(r.getString("backoff")));
    switch (backoff) {
      case "SCHEDULE" -> b.backoff(RetryPolicy.Backoff.SCHEDULE);
      case "EXPONENTIAL" -> b.backoff(RetryPolicy.Backoff.EXPONENTIAL);
      default -> throw new ReboundConfigException(prefix + ".backoff", "must be exponential or schedule, was " + backoff.toLowerCase(Locale.ROOT));
    }
    return b;
  }

  private static String upper(String s) {
    return s.trim().toUpperCase(Locale.ROOT);
  }

  private static <T> T read(String key, Supplier<T> reader) {
    return ReboundConfigException.reading(key, reader);
  }

}
