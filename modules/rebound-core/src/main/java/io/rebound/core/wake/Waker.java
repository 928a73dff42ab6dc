package io.rebound.core.wake;

import io.rebound.core.storage.IndexDatabase;
import io.rebound.core.item.ItemEntity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import java.util.Optional;

/**
 * Brings items back into memory when they have work: the durable due-time source of items that
 * left memory (a long delay or backoff, parked, deferred behind a full queue).
 *
 * <p>One per cluster (a sharded daemon process of one instance, so it moves when its node
 * leaves). Every poll interval it starts a scan of each queue's due rows in {@code rebound_item},
 * best first, and wakes them through sharding, keeping at most {@code batch} per queue woken and
 * waiting for a permit: an item answers once its attempt started (or it was deferred, or had
 * nothing to do), so waking follows the free permits of the whole cluster and a million due items
 * are never in memory at once.
 *
 * <p>It also finds attempts lost with their node: when it starts, when a member leaves, and every
 * {@code orphan-sweep-interval}, it wakes the items the index shows RUNNING; one whose attempt is
 * alive ignores it, one that recovers RUNNING records the attempt ORPHANED. The same sweep gives
 * rows an older version wrote without {@code wake_after} their due time, while such a version may
 * be a member ({@link WakeAfterBackfill}).
 */
public final class Waker extends AbstractBehavior<Waker.Command> {
  public static final String NAME = "rebound-waker";
  /** Answered rows are skipped this long while the index catches up with their change. */
  static final Duration RECENT = Duration.ofSeconds(30);
  /** An unanswered wake is sent again after this (its item may have stopped meanwhile). */
  static final Duration RESEND = Duration.ofSeconds(30);
  /** RUNNING rows read per sweep query. */
  static final int SWEEP_LIMIT = 10_000;

  public sealed interface Command {}

  private record Poll() implements Command {}

  private record Sweep(boolean all) implements Command {}

  private record Rows(String queue, int scan, List<DueItems.Row> rows, int asked) implements Command {}

  private record ReadFailed(String queue, Throwable error) implements Command {}

  private record Running(List<String> ids) implements Command {}

  private record Answer(ItemEntity.Woken woken) implements Command {}

  private record MemberLeft() implements Command {}

  /** Starts the waker as a one-instance sharded daemon process. */
  /**
   * @param olderMemberMayWrite whether a cluster member may be of a release that writes index rows
   *     without {@code wake_after} (see {@link WakeAfterBackfill})
   */
  public static void init(ActorSystem<?> system, IndexDatabase db, Set<String> queues, WakeSettings settings, Clock clock,
      BooleanSupplier olderMemberMayWrite) {
    ShardedDaemonProcess.get(system).init(
        Command.class, NAME, 1, i -> create(db, queues, settings, clock, olderMemberMayWrite),
        ShardedDaemonProcessSettings.create(system), Optional.empty());
  }

  static Behavior<Command> create(IndexDatabase db, Set<String> queues, WakeSettings settings, Clock clock,
      BooleanSupplier olderMemberMayWrite) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Waker(ctx, timers, db, queues, settings, clock, olderMemberMayWrite)));
  }

  private final TimerScheduler<Command> timers;
  private final IndexDatabase db;
  private final BooleanSupplier olderMemberMayWrite;
  private final WakeAfterBackfill backfill = new WakeAfterBackfill();
  private final WakeSettings settings;
  private final Clock clock;
  private final ClusterSharding sharding;
  private final ActorRef<ItemEntity.Woken> answers;
  private final Map<String, WakeBook> books = new HashMap<>();
  /** Which queue each outstanding id belongs to. */
  private final Map<String, String> queueOf = new HashMap<>();
  private boolean sweeping;
  /** Until then every due row is a candidate: after the waker's start, or a member leaving. */
  private Instant everythingUntil;

  private Waker(ActorContext<Command> ctx, TimerScheduler<Command> timers, IndexDatabase db, Set<String> queues,
      WakeSettings settings, Clock clock, BooleanSupplier olderMemberMayWrite) {
    super(ctx);
    this.olderMemberMayWrite = olderMemberMayWrite;
    this.timers = timers;
    this.db = db;
    this.settings = settings;
    this.clock = clock;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.answers = ctx.messageAdapter(ItemEntity.Woken.class, Answer::new);
    queues.forEach(q -> books.put(q, new WakeBook(settings.batch(), RECENT)));
    everythingUntil = clock.instant().plus(settings.pollInterval().multipliedBy(3));
    timers.startTimerWithFixedDelay(new Poll(), Duration.ZERO, settings.pollInterval());
    timers.startTimerWithFixedDelay(new Sweep(false), settings.orphanSweepInterval(), settings.orphanSweepInterval());
    // Attempts of a node that left are lost with it: look for them at once rather than a sweep later.
    ActorRef<ClusterEvent.MemberRemoved> removed = ctx.messageAdapter(ClusterEvent.MemberRemoved.class, e -> new MemberLeft());
    Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(removed, ClusterEvent.MemberRemoved.class));
    ctx.getSelf().tell(new Sweep(true));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Poll.class, p -> onPoll())
        .onMessage(Rows.class, this::onRows)
        .onMessage(ReadFailed.class, this::onReadFailed)
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(Sweep.class, this::onSweep)
        .onMessage(Running.class, this::onRunning)
        .onMessage(MemberLeft.class, m -> {
          // Its items are out of memory now, whatever their rows say.
          everythingUntil = clock.instant().plus(settings.pollInterval().multipliedBy(3));
          return onSweep(new Sweep(true));
        })
        .build();
  }

  private Behavior<Command> onPoll() {
    Instant now = clock.instant();
    books.forEach((queue, book) -> {
      book.restart(now);
      book.unanswered(now, RESEND).forEach(id -> wake(id));
      fill(queue, book, now);
    });
    return this;
  }

  /** Wakes what the buffer holds, and reads more rows when it runs dry. */
  private void fill(String queue, WakeBook book, Instant now) {
    for (String id : book.next(now)) {
      queueOf.put(id, queue);
      wake(id);
    }
    if (book.wantsRows(now)) {
      int scan = book.reading();
      DueItems.Cursor from = book.cursor();
      int limit = settings.fetchSize();
      Instant until = now.plus(settings.horizon());
      // An item due within the horizon of its last change stayed in memory (waiting for a permit,
      // or on its timer): waking it would only cost, and its row's wake_after lies beyond until
      // unless it sat unchanged for settle (deferred, or lost with its node). Right after the
      // waker started or a member left nothing is known: every due row is taken.
      boolean everything = now.isBefore(everythingUntil);
      Duration settle = settings.settle();
      getContext().pipeToSelf(db.run(c -> DueItems.due(c, queue, until, everything, settle, from, limit)),
          (rows, error) -> error == null ? new Rows(queue, scan, rows, limit) : new ReadFailed(queue, error));
    }
  }

  private Behavior<Command> onRows(Rows r) {
    WakeBook book = books.get(r.queue());
    book.rows(r.scan(), r.rows(), r.asked());
    fill(r.queue(), book, clock.instant());
    return this;
  }

  private Behavior<Command> onReadFailed(ReadFailed f) {
    books.get(f.queue()).readFailed();
    // The next poll tries again; the index lagging or down delays items, it does not lose them.
    getContext().getLog().warn("Waker: cannot read due items of queue '{}': {}", f.queue(), f.error().getMessage());
    return this;
  }

  private Behavior<Command> onAnswer(Answer a) {
    String id = a.woken().id();
    String queue = queueOf.remove(id);
    WakeBook book = queue == null ? null : books.get(queue);
    if (book != null) {
      Instant now = clock.instant();
      book.answered(id, a.woken().outcome(), now, settings.pollInterval());
      fill(queue, book, now);
    }
    return this;
  }

  private Behavior<Command> onSweep(Sweep s) {
    if (!sweeping) {
      sweeping = true;
      Instant before = s.all() ? clock.instant() : clock.instant().minus(settings.orphanSweepInterval());
      Set<String> queues = Set.copyOf(books.keySet());
      boolean backfillNow = backfill.sweep(olderMemberMayWrite.getAsBoolean());
      getContext().pipeToSelf(db.run(c -> {
            List<String> running = new java.util.ArrayList<>();
            for (String queue : queues) {
              if (backfillNow) {
                DueItems.backfill(c, queue);
              }
              if (running.size() < SWEEP_LIMIT) {
                running.addAll(DueItems.running(c, queue, before, SWEEP_LIMIT - running.size()));
              }
            }
            return running;
          }),
          (ids, error) -> {
            if (error != null) {
              getContext().getLog().warn("Waker: cannot read RUNNING items: {}", error.getMessage());
              if (backfillNow) {
                backfill.failed();
              }
            }
            return new Running(error == null ? ids : List.of());
          });
    }
    return this;
  }

  /** An item whose attempt is alive ignores the wake; one that recovers RUNNING records ORPHANED. */
  private Behavior<Command> onRunning(Running r) {
    sweeping = false;
    r.ids().forEach(id -> sharding.entityRefFor(ItemEntity.ENTITY_TYPE_KEY, id).tell(new ItemEntity.Wake(null)));
    if (!r.ids().isEmpty()) {
      getContext().getLog().debug("Waker: checked {} RUNNING items for lost attempts", r.ids().size());
    }
    return this;
  }

  private void wake(String id) {
    sharding.entityRefFor(ItemEntity.ENTITY_TYPE_KEY, id).tell(new ItemEntity.Wake(answers));
  }
}
