package io.rebound.core.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.Optional;

/**
 * One recurring schedule: a cron expression in a zone, and the item each tick enqueues. Immutable;
 * {@link #builder(String)} validates every field.
 *
 * <p>Cron expressions have six fields, seconds first ({@code second minute hour day-of-month
 * month day-of-week}), in Spring's dialect as cron-utils parses it ({@link CronType#SPRING53}):
 * {@code 0 *}{@code /5 * * * *} is every five minutes; {@code L}, {@code W} and {@code #} work.
 */
public final class Schedule {
  /** Spring's six-field cron, parsed by cron-utils (the parser is thread-safe). */
  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  private final String name;
  private final String cron;
  private final ExecutionTime times;
  private final ZoneId zone;
  private final String queue;
  private final String payload;
  private final int priority;
  private final Missed missed;

  private Schedule(Builder b) {
    name = b.name;
    cron = b.cron;
    times = b.times;
    zone = b.zone;
    queue = b.queue;
    payload = b.payload;
    priority = b.priority;
    missed = b.missed;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  public String cron() {
    return cron;
  }

  public ZoneId zone() {
    return zone;
  }

  public String queue() {
    return queue;
  }

  /** The payload of every item, as JSON text. */
  public String payload() {
    return payload;
  }

  public int priority() {
    return priority;
  }

  public Missed missed() {
    return missed;
  }

  /** The first tick strictly after {@code t}; empty when the expression has no more (a past year). */
  public Optional<Instant> nextAfter(Instant t) {
    return times.nextExecution(t.atZone(zone)).map(ZonedDateTime::toInstant);
  }

  /** The last tick at or before {@code t}. */
  public Optional<Instant> lastAtOrBefore(Instant t) {
    return times.lastExecution(t.plusNanos(1).atZone(zone)).map(ZonedDateTime::toInstant);
  }

  /** The dedup key of a tick's item: the schedule's name and the tick, so every node makes the same one. */
  public String tickKey(Instant tick) {
    return "schedule:" + name + ":" + tick;
  }

  /** The dedup key of an item enqueued by hand ({@code trigger}): apart from every tick's. */
  public String triggerKey(Instant at) {
    return "schedule:" + name + ":trigger:" + at;
  }

  @Override
  public String toString() {
    return "Schedule[" + name + " '" + cron + "' " + zone + " -> " + queue + "]";
  }

  public static final class Builder {
    private final String name;
    private String cron;
    private ExecutionTime times;
    private ZoneId zone = ZoneId.of("UTC");
    private String queue;
    private String payload = "{}";
    private int priority = 5;
    private Missed missed = Missed.RUN_ONCE;

    private Builder(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("a schedule needs a name");
      }
      this.name = name;
    }

    /** Six fields, seconds first; checked now. */
    public Builder cron(String expression) {
      if (expression == null || expression.isBlank()) {
        throw new IllegalArgumentException("cron is required: six fields, seconds first, e.g. \"0 */5 * * * *\"");
      }
      Cron parsed;
      try {
        parsed = PARSER.parse(expression.strip());
        parsed.validate();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + expression + "' is not a cron expression of six fields, seconds first: " + e.getMessage());
      }
      this.cron = expression.strip();
      this.times = ExecutionTime.forCron(parsed);
      return this;
    }

    /** A zone id such as {@code UTC} or {@code Europe/Berlin}; ticks follow its wall clock (DST included). */
    public Builder zone(String id) {
      try {
        this.zone = ZoneId.of(Objects.requireNonNull(id).strip());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("'" + id + "' is not a time zone (e.g. UTC, Europe/Berlin)");
      }
      return this;
    }

    public Builder queue(String value) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("queue is required: the queue each tick's item goes to");
      }
      this.queue = value;
      return this;
    }

    /** JSON text. */
    public Builder payload(String json) {
      this.payload = Objects.requireNonNull(json);
      return this;
    }

    /** 0 to 9, higher runs first. */
    public Builder priority(int value) {
      if (value < 0 || value > 9) {
        throw new IllegalArgumentException("must be between 0 and 9, was " + value);
      }
      this.priority = value;
      return this;
    }

    public Builder missed(Missed value) {
      this.missed = Objects.requireNonNull(value);
      return this;
    }

    public Schedule build() {
      if (times == null) {
        throw new IllegalArgumentException("cron is required");
      }
      if (queue == null) {
        throw new IllegalArgumentException("queue is required");
      }
      return new Schedule(this);
    }
  }
}
