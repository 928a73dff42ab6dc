package io.rebound.core.index;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundSettings;
import io.rebound.core.config.RetentionPeriods;
import io.rebound.core.config.RetentionSettings;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemStatus;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * The node's retention job: every {@code rebound.retention.interval} it purges the terminal items
 * whose status is older than their queue's retention ({@link RetentionPurge}), and logs one line
 * when it did anything.
 *
 * <p>The JDBC work runs on Pekko's blocking-io dispatcher, never on the actor's thread, and its
 * result is piped back; runs never overlap. A tick during a run is dropped (the next one is
 * scheduled when the run ends); {@link PurgeNow} during a run is answered by a fresh run right
 * after it, so that it sees everything due at the time it asked.
 */
public final class Retention extends AbstractBehavior<Retention.Command> {

  public sealed interface Command {}

  /** Runs once now (after the run in progress, if any) and answers with what it did. */
  public record PurgeNow(ActorRef<StatusReply<RetentionRun>> replyTo) implements Command {}

  /** Answers with the last run that completed, if any. */
  public record GetLastRun(ActorRef<Optional<RetentionRun>> replyTo) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private record Finished(RetentionRun run, Throwable failure) implements Command {}

  /**
   * The first run waits at most this long after start: a node restarted more often than the
   * interval still purges, yet not while its items are recovering.
   */
  static final Duration MAX_FIRST_DELAY = Duration.ofMinutes(1);

  private final RetentionSettings settings;
  private final Map<String, RetentionPeriods> queues;
  private final RetentionPurge purge;
  private final Executor blocking;
  private final Clock clock;
  private final TimerScheduler<Command> timers;

  private boolean running;
  /** Callers answered by the run in progress. */
  private List<ActorRef<StatusReply<RetentionRun>>> inThisRun = new ArrayList<>();
  /** Callers who asked during a run: the next run starts as soon as it ends. */
  private List<ActorRef<StatusReply<RetentionRun>>> forNextRun = new ArrayList<>();
  private Optional<RetentionRun> lastRun = Optional.empty();

  /**
   * The node's job: the database of {@code settings}, one connection per run (see
   * docs/ARCHITECTURE.md, Retention), and the actor system's serializers to read items' last events.
   */
  public static Behavior<Command> create(ReboundSettings settings, Clock clock) {
    return Behaviors.setup(ctx -> {
      Config db = ctx.getSystem().settings().config().getConfig("rebound.database");
      String url = settings.effectiveDatabaseUrl();
      String user = db.getString("user");
      String password = db.getString("password");
      Serialization serialization = SerializationExtension.get(Adapter.toClassic(ctx.getSystem()));
      RetentionPurge purge = new RetentionPurge(
          () -> DriverManager.getConnection(url, user, password), (payload, serializerId, manifest) ->
              terminalStatus(serialization.deserialize(payload, serializerId, manifest).get()),
          clock);
      Map<String, RetentionPeriods> queues = new HashMap<>();
      settings.queues().forEach((name, q) -> queues.put(name, q.retention()));
      return create(settings.retention(), queues, purge, clock);
    });
  }

  /** A job over any purge, e.g. with a clock a test moves. */
  public static Behavior<Command> create(
      RetentionSettings settings, Map<String, RetentionPeriods> queues, RetentionPurge purge, Clock clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Executor blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
      return new Retention(ctx, timers, settings, Map.copyOf(queues), purge, blocking, clock);
    }));
  }

  /** The terminal status an item's event puts it in. */
  static Optional<ItemStatus> terminalStatus(Object event) {
    if (event instanceof ItemEntity.Succeeded) {
      return Optional.of(ItemStatus.SUCCEEDED);
    } else if (event instanceof ItemEntity.DeadLettered) {
      return Optional.of(ItemStatus.DEAD_LETTERED);
    } else if (event instanceof ItemEntity.Cancelled) {
      return Optional.of(ItemStatus.CANCELLED);
    }
    return Optional.empty();
  }

  private Retention(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      RetentionSettings settings,
      Map<String, RetentionPeriods> queues,
      RetentionPurge purge,
      Executor blocking,
      Clock clock) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.queues = queues;
    this.purge = purge;
    this.blocking = blocking;
    this.clock = clock;
    Duration first = settings.interval().compareTo(MAX_FIRST_DELAY) < 0 ? settings.interval() : MAX_FIRST_DELAY;
    timers.startSingleTimer(Tick.INSTANCE, Tick.INSTANCE, first);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Tick.class, t -> onTick())
        .onMessage(PurgeNow.class, this::onPurgeNow)
        .onMessage(GetLastRun.class, g -> {
          g.replyTo().tell(lastRun);
          return this;
        })
        .onMessage(Finished.class, this::onFinished)
        .build();
  }

  private Behavior<Command> onTick() {
    if (!running) {
      start();
    }
    return this;
  }

  private Behavior<Command> onPurgeNow(PurgeNow p) {
    forNextRun.add(p.replyTo());
    if (!running) {
      start();
    }
    return this;
  }

  private void start() {
    running = true;
    inThisRun = forNextRun;
    forNextRun = new ArrayList<>();
    Instant now = clock.instant();
    CompletableFuture<RetentionRun> work = CompletableFuture.supplyAsync(() -> {
      try {
        return purge.run(now, queues, settings.defaultPeriods(), settings.batchSize());
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
    getContext().pipeToSelf(work, Finished::new);
  }

  private Behavior<Command> onFinished(Finished f) {
    running = false;
    boolean drain = false;
    if (f.failure() != null) {
      Throwable cause = f.failure() instanceof CompletionException && f.failure().getCause() != null ? f.failure().getCause() : f.failure();
      getContext().getLog().warn("Retention run failed, next try in {}: {}", settings.interval(), cause.toString());
      inThisRun.forEach(r -> r.tell(StatusReply.error(cause)));
    } else {
      RetentionRun run = f.run();
      lastRun = Optional.of(run);
      if (run.didAnything()) {
        getContext().getLog().info("Retention purged {} items ({} events) in {} ms: {}{}", run.total(), run.events(),
            run.took().toMillis(), run.total() == 0 ? "none" : run.summary(),
            run.skipped() == 0 ? "" : "; " + run.skipped() + " due but moved on since, left alone");
      }
      inThisRun.forEach(r -> r.tell(StatusReply.success(run)));
      // A full batch means more is due: go on at once rather than an interval later, but only
      // while runs make progress (skipped items alone would loop).
      drain = run.batchFilled() && run.total() > 0;
    }
    inThisRun = List.of();
    timers.startSingleTimer(Tick.INSTANCE, Tick.INSTANCE, settings.interval());
    if (drain || !forNextRun.isEmpty()) {
      start();
    }
    return this;
  }
}
