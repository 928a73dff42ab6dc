package io.rebound.core.tools;

import io.rebound.core.storage.IndexDatabase;
import io.rebound.core.storage.SqlTime;
import io.rebound.core.serialization.CborSerializable;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One per tool (sharded, so one per cluster): when the tool is up again, releases the items
 * parked on it, highest priority first, at {@code release-rate} items per second so that a
 * recovering service is not stampeded.
 *
 * <p>It holds no list of its own: the parked items are rows of {@code rebound_parked}, which the
 * index projection keeps from the items' events (a Parked event adds a row per tool, leaving
 * PARKED deletes them). A release reads the next rows in release order (one indexed range scan
 * per second, whatever the number parked) and asks each item to unpark; the item's
 * {@code Unparked} event is the record of it, so a crash in between only repeats an idempotent
 * release. Rows released lately are skipped while the index catches up with them, and releasing
 * goes on a few seconds after a ToolUp or a Park, so that a row the index has not shown yet (an
 * item that parked just as the tool came back) is still found.
 */
public final class MissingMetadata extends AbstractBehavior<MissingMetadata.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "MissingMetadata");
  private static final Duration TICK = Duration.ofMillis(100);
  private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);
  /** A released row is skipped this long while the index catches up with its item's Unparked event. */
  static final Duration RECENT = Duration.ofSeconds(30);
  /** After a ToolUp or a Park, releasing goes on at least this long: longer than the index's lag. */
  static final Duration GRACE = Duration.ofSeconds(5);

  // ---- protocol ---------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  /**
   * An item parked on this tool. The index records the parking; this message only covers the
   * race where the item saw the tool down just before it came back: a tool that is up releases
   * it at once. Sent once per parking, not on recovery, so that status queries cause no releases.
   *
   * @param parkedAt when the item parked: tells one parking of an item from its next
   * @param replyTo acknowledged with Done (the item repeats Park until it is); null from older nodes
   */
  public record Park(String itemId, int priority, Instant parkedAt, ActorRef<Done> replyTo) implements Command {}

  /** The node's probe sees the tool up: start releasing. */
  public record ToolUp() implements Command {}

  /** Release everything parked now, whatever the tool's state (an operator's decision). */
  public record ReleaseAll(ActorRef<ReleaseStarted> replyTo) implements Command {}

  public record GetParked(int limit, ActorRef<ParkedItems> replyTo) implements Command {}

  public record Tick() implements Command {}

  record Rows(List<ParkedRow> rows, boolean fromStart, int asked) implements Command {}

  record ReadFailed(Throwable error) implements Command {}

  public record ReleaseConfirmed(String itemId, Instant parkedAt, boolean ok) implements Command {}

  public record Stop() implements Command {}

  public record ReleaseStarted(int items) implements CborSerializable {}

  /** @param items the first {@code limit} parked items, in release order */
  public record ParkedItems(int count, List<String> items) implements CborSerializable {}

  /** One row of rebound_parked, in release order. */
  record ParkedRow(String id, int priority, Instant parkedAt) {}

  // ---- wiring -----------------------------------------------------------------------------

  /**
   * @param rates release rate (items/s) per tool
   * @param defaultRate the release rate of a tool not in {@code rates} ({@code rebound.tool-defaults.release-rate})
   * @param db the index's database, where rebound_parked lives
   * @param unparker asks a parked item to unpark
   */
  public record Runtime(Map<String, Integer> rates, int defaultRate, ToolHealth health, Clock clock, IndexDatabase db, Unparker unparker) {}

  public static void init(ActorSystem<?> system, Runtime runtime) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), runtime)).withStopMessage(new Stop()));
  }

  public static Behavior<Command> create(String tool, Runtime runtime) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new MissingMetadata(tool, ctx, timers, runtime)));
  }

  private final String tool;
  private final TimerScheduler<Command> timers;
  private final Runtime rt;
  private boolean releasing;
  /** While the tool is not up, an operator's release takes the items parked at or before this; null when none asked. */
  private Instant operatorUntil;
  private final Set<String> inFlight = new HashSet<>();
  /** Parkings (id@parkedAt) released lately: a new parking of the same item is not skipped. */
  private final Map<String, Instant> recent = new HashMap<>();
  private ParkedRow cursor;
  /** Rows read and not released yet, in release order. */
  private final java.util.ArrayDeque<ParkedRow> buffer = new java.util.ArrayDeque<>();
  /** What the current scan releases: null for everything (the tool is up), else parked at or before it. */
  private Instant scanUntil;
  private boolean reading;
  /** The last ToolUp or Park while up: the rows they concern may not be in the index yet. */
  private Instant nudgedAt = Instant.MIN;

  private MissingMetadata(String tool, ActorContext<Command> ctx, TimerScheduler<Command> timers, Runtime rt) {
    super(ctx);
    this.tool = tool;
    this.timers = timers;
    this.rt = rt;
    if (rt.health().isUp(tool)) {
      // Started on a node that sees the tool up: anything still parked on it may go.
      startReleasing();
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Park.class, this::onPark)
        .onMessage(ToolUp.class, c -> {
          nudgedAt = rt.clock().instant();
          startReleasing();
          return this;
        })
        .onMessage(ReleaseAll.class, this::onReleaseAll)
        .onMessage(GetParked.class, this::onGetParked)
        .onMessage(Tick.class, t -> onTick())
        .onMessage(Rows.class, this::onRows)
        .onMessage(ReadFailed.class, f -> {
          reading = false;
          getContext().getLog().warn("MissingMetadata {}: cannot read parked items: {}", tool, f.error().getMessage());
          return this;
        })
        .onMessage(ReleaseConfirmed.class, this::onConfirmed)
        .onMessage(Stop.class, s -> Behaviors.stopped())
        .build();
  }

  /**
   * Sent once, right after the item's Parked event: if the tool is up already, the release scan
   * may have run before the item's row reached the index, so the item is released at once (at
   * most the items that park at that moment, a queue's concurrency).
   */
  private Behavior<Command> onPark(Park c) {
    if (c.replyTo() != null) {
      c.replyTo().tell(Done.getInstance());
    }
    if (rt.health().isUp(tool)) {
      nudgedAt = rt.clock().instant();
      if (!inFlight.contains(c.itemId()) && !recent.containsKey(key(c.itemId(), c.parkedAt()))) {
        release(new ParkedRow(c.itemId(), c.priority(), c.parkedAt()));
      }
      startReleasing();
    }
    return this;
  }

  private Behavior<Command> onReleaseAll(ReleaseAll c) {
    Instant until = rt.clock().instant();
    operatorUntil = until;
    startReleasing();
    ActorRef<ReleaseStarted> replyTo = c.replyTo();
    rt.db().run(conn -> count(conn, until)).whenComplete((n, e) -> replyTo.tell(new ReleaseStarted(e == null ? n : 0)));
    return this;
  }

  private Behavior<Command> onGetParked(GetParked c) {
    ActorRef<ParkedItems> replyTo = c.replyTo();
    int limit = Math.max(0, c.limit());
    rt.db().run(conn -> new ParkedItems(count(conn, null),
            read(conn, null, null, limit).stream().map(ParkedRow::id).toList()))
        .whenComplete((p, e) -> {
          if (e == null) {
            replyTo.tell(p);
          } else {
            getContext().getSystem().log().warn("MissingMetadata {}: cannot list parked items: {}", tool, e.getMessage());
          }
        });
    return this;
  }

  private void startReleasing() {
    if (!releasing) {
      releasing = true;
      cursor = null;
      buffer.clear();
      timers.startTimerWithFixedDelay("release", new Tick(), Duration.ZERO, TICK);
    }
  }

  private void stopReleasing() {
    releasing = false;
    buffer.clear();
    cursor = null;
    operatorUntil = null;
    timers.cancel("release");
  }

  /** Each tick releases a tenth of the per-second rate, so the rate holds within a second. */
  private Behavior<Command> onTick() {
    Instant now = rt.clock().instant();
    recent.values().removeIf(at -> !at.plus(RECENT).isAfter(now));
    boolean up = rt.health().isUp(tool);
    if (!up && operatorUntil == null) {
      // Down again, and no operator asked: what is parked waits for the next ToolUp.
      stopReleasing();
      return this;
    }
    Instant until = up ? null : operatorUntil;
    if (!java.util.Objects.equals(until, scanUntil)) {
      // Released for another reason now (the tool came up, or went down with an operator's release).
      scanUntil = until;
      buffer.clear();
      cursor = null;
    }
    int rate = Optional.ofNullable(rt.rates().get(tool)).orElse(rt.defaultRate());
    int perTick = Math.max(1, (int) Math.ceil(rate * TICK.toMillis() / 1000.0));
    // No more than a second's worth unconfirmed at once.
    int budget = Math.min(perTick, rate - inFlight.size());
    while (budget > 0 && !buffer.isEmpty()) {
      ParkedRow row = buffer.poll();
      if (!inFlight.contains(row.id()) && !recent.containsKey(key(row.id(), row.parkedAt()))) {
        release(row);
        budget--;
      }
    }
    if (!reading && buffer.size() < perTick) {
      // A second's worth per read: one query serves ten ticks, however slow it is with many parked.
      reading = true;
      boolean fromStart = cursor == null;
      ParkedRow from = cursor;
      int asked = Math.max(rate, perTick);
      getContext().pipeToSelf(rt.db().run(conn -> read(conn, until, from, asked)),
          (rows, e) -> e == null ? new Rows(rows, fromStart, asked) : new ReadFailed(e));
    }
    return this;
  }

  private Behavior<Command> onRows(Rows r) {
    reading = false;
    if (!releasing) {
      return this;
    }
    buffer.addAll(r.rows());
    if (r.rows().size() < r.asked()) {
      // The end of this scan: the next one starts again from the best row.
      cursor = null;
      if (r.fromStart() && r.rows().isEmpty() && buffer.isEmpty() && inFlight.isEmpty()
          && rt.clock().instant().isAfter(nudgedAt.plus(GRACE))) {
        stopReleasing();
      }
    } else {
      cursor = r.rows().get(r.rows().size() - 1);
    }
    return this;
  }

  private void release(ParkedRow row) {
    inFlight.add(row.id());
    String id = row.id();
    Instant parkedAt = row.parkedAt();
    getContext().pipeToSelf(
        rt.unparker().unpark(id, RELEASE_TIMEOUT),
        (done, error) -> new ReleaseConfirmed(id, parkedAt, error == null));
  }

  private Behavior<Command> onConfirmed(ReleaseConfirmed c) {
    inFlight.remove(c.itemId());
    if (c.ok()) {
      recent.put(key(c.itemId(), c.parkedAt()), rt.clock().instant());
    }
    // Not confirmed: its row stays and a later scan asks again.
    return this;
  }

  private static String key(String id, Instant parkedAt) {
    return id + "@" + parkedAt.truncatedTo(ChronoUnit.MICROS);
  }

  // ---- rebound_parked ---------------------------------------------------------------------

  private int count(java.sql.Connection c, Instant until) throws java.sql.SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM rebound_parked WHERE tool = ?"
        + (until != null ? " AND parked_at <= ?" : ""))) {
      st.setString(1, tool);
      if (until != null) {
        st.setObject(2, time(until));
      }
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * Up to {@code limit} parked rows after {@code from} in release order (priority high to low,
   * then parked first): one range scan of (tool, priority, parked_at, id) per priority.
   */
  private List<ParkedRow> read(java.sql.Connection c, Instant until, ParkedRow from, int limit) throws java.sql.SQLException {
    List<ParkedRow> out = new ArrayList<>();
    for (int p = from == null ? 9 : from.priority(); p >= 0 && out.size() < limit; p--) {
      boolean within = from != null && p == from.priority();
      String sql = "SELECT id, parked_at FROM rebound_parked WHERE tool = ? AND priority = ?"
          + (until != null ? " AND parked_at <= ?" : "")
          + (within ? " AND (parked_at > ? OR (parked_at = ? AND id > ?))" : "")
          + " ORDER BY parked_at, id LIMIT ?";
      try (PreparedStatement st = c.prepareStatement(sql)) {
        int i = 1;
        st.setString(i++, tool);
        st.setInt(i++, p);
        if (until != null) {
          st.setObject(i++, time(until));
        }
        if (within) {
          st.setObject(i++, time(from.parkedAt()));
          st.setObject(i++, time(from.parkedAt()));
          st.setString(i++, from.id());
        }
        st.setInt(i, limit - out.size());
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            out.add(new ParkedRow(rs.getString(1), p, rs.getObject(2, OffsetDateTime.class).toInstant()));
          }
        }
      }
    }
    return out;
  }

  private static OffsetDateTime time(Instant at) {
    return SqlTime.of(at);
  }
}
