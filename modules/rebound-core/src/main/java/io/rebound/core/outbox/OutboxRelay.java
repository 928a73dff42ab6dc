package io.rebound.core.outbox;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.storage.IndexDatabase;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;

/**
 * Moves committed rows of {@code rebound_outbox} into items: one per cluster (a sharded daemon
 * process of one instance, so it moves when its node leaves), one {@link RelayPass} at a time.
 * After a pass that filled its batch it starts the next at once; otherwise it waits the poll
 * interval. It holds one database connection of its own, on the node it runs on.
 *
 * <p>Exactly once does not rest on there being one relay: a row's item id is fixed by the row, so
 * two relays (a handoff overlapping, say) or a crash between enqueue and delete only repeat an
 * enqueue that answers with the existing item.
 */
public final class OutboxRelay extends AbstractBehavior<OutboxRelay.Command> {
  public static final String NAME = "rebound-outbox-relay";

  /** Creates (or finds) the item of a row: the node's enqueue, with the item id the row decides. */
  @FunctionalInterface
  public interface Enqueuer {
    CompletionStage<?> enqueue(String itemId, String queue, EnqueueRequest request, String traceparent);
  }

  public sealed interface Command {}

  private record Tick() implements Command {}

  private record Passed(RelayPass.Result result, Throwable error) implements Command {}

  /** Starts the relay as a one-instance sharded daemon process. */
  public static void init(ActorSystem<?> system, String url, String user, String password, OutboxSettings settings,
      Enqueuer enqueuer, Clock clock, OutboxMeters meters) {
    ShardedDaemonProcess.get(system).init(
        Command.class, NAME, 1, i -> create(url, user, password, settings, enqueuer, clock, meters),
        ShardedDaemonProcessSettings.create(system), Optional.empty());
  }

  static Behavior<Command> create(String url, String user, String password, OutboxSettings settings,
      Enqueuer enqueuer, Clock clock, OutboxMeters meters) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Executor blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
      IndexDatabase db = new IndexDatabase(url, user, password, 1, blocking, "rebound-outbox");
      return new OutboxRelay(ctx, timers, db, new RelayPass(db, enqueuer, clock, settings.batchSize()), settings, meters, clock);
    }));
  }

  private final TimerScheduler<Command> timers;
  private final IndexDatabase db;
  private final RelayPass pass;
  private final OutboxSettings settings;
  private final OutboxMeters meters;
  private final Clock clock;
  private boolean running;
  /** Whether the last pass failed: its error is logged once, and the recovery too. */
  private boolean failing;

  private OutboxRelay(ActorContext<Command> ctx, TimerScheduler<Command> timers, IndexDatabase db, RelayPass pass,
      OutboxSettings settings, OutboxMeters meters, Clock clock) {
    super(ctx);
    this.meters = meters;
    this.clock = clock;
    this.timers = timers;
    this.db = db;
    this.pass = pass;
    this.settings = settings;
    ctx.getSelf().tell(new Tick());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Tick.class, t -> onTick())
        .onMessage(Passed.class, this::onPassed)
        .onSignal(PostStop.class, s -> {
          db.close();
          return this;
        })
        .build();
  }

  private Behavior<Command> onTick() {
    if (!running) {
      running = true;
      getContext().pipeToSelf(pass.run(), Passed::new);
    }
    return this;
  }

  private Behavior<Command> onPassed(Passed p) {
    running = false;
    if (p.error() != null) {
      if (!failing) {
        getContext().getLog().warn("Outbox relay: cannot relay rows of rebound_outbox (trying again every {}): {}",
            settings.pollInterval(), p.error().getMessage());
      }
      failing = true;
      timers.startSingleTimer(new Tick(), settings.pollInterval());
      return this;
    }
    if (failing) {
      getContext().getLog().info("Outbox relay: relaying again");
      failing = false;
    }
    RelayPass.Result r = p.result();
    meters.passed(r, clock.instant());
    if (r.bad() > 0) {
      getContext().getLog().warn("Outbox relay: {} rows can never become items and stay in rebound_outbox with their error, e.g. {}",
          r.bad(), r.firstError());
    }
    if (r.kept() > r.overloaded()) {
      getContext().getLog().warn("Outbox relay: {} rows failed to enqueue and stay for the next pass, e.g. {}",
          r.kept() - r.overloaded(), r.firstError());
    }
    // A full batch enqueued without refusal: more rows are likely waiting, go on at once.
    boolean more = r.read() == settings.batchSize() && r.kept() == 0;
    if (more) {
      getContext().getSelf().tell(new Tick());
    } else {
      timers.startSingleTimer(new Tick(), settings.pollInterval());
    }
    return this;
  }
}
