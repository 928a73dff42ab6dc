package io.rebound.core.schedule;

import io.rebound.core.schedule.UnknownScheduleException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The node's handle on the cluster's schedule runner ({@link ScheduleRunner}, a cluster singleton):
 * list the schedules, pause, resume and trigger one. Failed stages carry {@link
 * UnknownScheduleException} or {@link ScheduleTriggerException}.
 */
public final class Schedules {
  private final ActorSystem<?> system;
  private final ActorRef<ScheduleRunner.Command> runner;
  private final ScheduleSettings settings;
  private final Duration timeout;
  private final Executor ec;

  private Schedules(ActorSystem<?> system, ActorRef<ScheduleRunner.Command> runner, ScheduleSettings settings, Duration timeout) {
    this.system = system;
    this.runner = runner;
    this.settings = settings;
    this.timeout = timeout;
    this.ec = system.executionContext();
  }

  /**
   * Starts the runner on the cluster's oldest node (every node calls this; one runs it, the others
   * reach it through a proxy). It moves when that node leaves or is downed.
   */
  public static Schedules start(ActorSystem<?> system, ScheduleSettings settings, ScheduleRunner.Enqueuer enqueuer, Clock clock,
      Duration askTimeout) {
    ActorRef<ScheduleRunner.Command> ref = ClusterSingleton.get(system).init(
        SingletonActor.of(ScheduleRunner.create(settings, enqueuer, clock), ScheduleRunner.NAME)
            .withStopMessage(new ScheduleRunner.Stop()));
    return new Schedules(system, ref, settings, askTimeout);
  }

  /** The configured schedules (this node's config). */
  public ScheduleSettings settings() {
    return settings;
  }

  /** Every schedule with its next and last tick, by name. */
  public CompletionStage<List<ScheduleView>> list() {
    return ask(ScheduleRunner.Get::new).thenApplyAsync(ScheduleRunner.Answer::schedules, ec);
  }

  /** Stops making items until resumed (durable: a restart keeps it paused). */
  public CompletionStage<ScheduleView> pause(String name) {
    return change(name, r -> new ScheduleRunner.Pause(name, r));
  }

  /** Makes items again from the next tick after now; the ticks while paused are not made up. */
  public CompletionStage<ScheduleView> resume(String name) {
    return change(name, r -> new ScheduleRunner.Resume(name, r));
  }

  /** What a trigger made: the item's id, and the schedule after it. */
  public record Triggered(String itemId, ScheduleView schedule) {}

  /** Enqueues one item of the schedule now, apart from its ticks (its own dedup key), paused or not. */
  public CompletionStage<Triggered> trigger(String name) {
    if (!settings.schedules().containsKey(name)) {
      return CompletableFuture.failedFuture(new UnknownScheduleException(name));
    }
    return ask(r -> new ScheduleRunner.Trigger(name, r)).thenApplyAsync(a -> {
      check(name, a);
      return new Triggered(a.itemId(), view(name, a));
    }, ec);
  }

  private CompletionStage<ScheduleView> change(String name, Function<ActorRef<ScheduleRunner.Answer>, ScheduleRunner.Command> command) {
    if (!settings.schedules().containsKey(name)) {
      return CompletableFuture.failedFuture(new UnknownScheduleException(name));
    }
    return ask(command).thenApplyAsync(a -> {
      check(name, a);
      return view(name, a);
    }, ec);
  }

  private static void check(String name, ScheduleRunner.Answer a) {
    if (a.unknown() != null) {
      // The runner's node has other schedules than this one: configs differ between nodes.
      throw new UnknownScheduleException(a.unknown());
    }
    if (a.error() != null) {
      throw new ScheduleTriggerException(name, a.error());
    }
  }

  private static ScheduleView view(String name, ScheduleRunner.Answer a) {
    return a.schedules().stream().filter(v -> v.name().equals(name)).findFirst()
        .orElseThrow(() -> new UnknownScheduleException(name));
  }

  private CompletionStage<ScheduleRunner.Answer> ask(Function<ActorRef<ScheduleRunner.Answer>, ScheduleRunner.Command> command) {
    return AskPattern.ask(runner, command::apply, timeout, system.scheduler());
  }
}
