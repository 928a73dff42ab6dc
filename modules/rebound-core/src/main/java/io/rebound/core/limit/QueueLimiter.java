package io.rebound.core.limit;

import io.rebound.core.config.QueueSettings;
import io.rebound.core.serialization.CborSerializable;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The cluster-wide limiter of one queue: a sharded entity (its id is the queue name), so that
 * exactly one runs in the cluster and it starts on another node when its node leaves. The nodes'
 * dispatchers report what they hold and want ({@link Report}); it answers with permits
 * ({@link Lease}) as its {@link LimitBook} allows, at once and on every tick.
 *
 * <p>It keeps nothing in the journal: what it must know (the slots in use) is in the nodes'
 * reports, which come every {@code report-interval}; a new incarnation waits {@code settle} for
 * them before it grants. Its buckets start full, so a move can let one extra burst through.
 */
public final class QueueLimiter {
  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "QueueLimiter");

  private QueueLimiter() {}

  public sealed interface Command extends CborSerializable {}

  /**
   * What a node's dispatcher holds and wants for the queue.
   *
   * @param epoch the limiter incarnation whose lease {@code ack} names (0 for none)
   * @param ack the last lease the node applied
   * @param wants permits it could use now per group ("" for items without a group)
   * @param held slots it holds per group: running attempts and permits not yet used
   */
  public record Report(ActorRef<Lease> replyTo, long epoch, long ack, Map<String, LimitBook.Want> wants, Map<String, Integer> held)
      implements Command {}

  /** Permits for a node: it may start this many more attempts per group. */
  public record Lease(String queue, long epoch, long seq, Map<String, Integer> permits) implements CborSerializable {}

  private record Tick() implements Command {}

  /** Starts sharding for the limiters on this node. */
  public static void init(ActorSystem<?> system, Map<String, QueueSettings> queues, LimitSettings settings) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
        ctx -> create(ctx.getEntityId(), queues.get(ctx.getEntityId()), settings, System::nanoTime)));
  }

  /**
   * @param q the queue's settings, or null when this node does not know the queue (then it
   *     limits nothing: the nodes that ask know it, and a config that differs between nodes is
   *     a rolling change in progress)
   * @param nanos the clock of the buckets and of node timeouts
   */
  public static Behavior<Command> create(String queue, QueueSettings q, LimitSettings settings, LongSupplier nanos) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      if (q == null) {
        ctx.getLog().warn("Limiter of queue '{}' started on a node that does not know the queue: it limits nothing", queue);
      }
      long epoch = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
      LimitBook<ActorRef<Lease>> book = new LimitBook<>(
          q == null ? null : q.rateLimit().orElse(null), q == null ? 0 : q.groupConcurrency(), q == null ? null : q.groupRateLimit().orElse(null),
          settings.nodeTimeout().toNanos(), settings.settle().toNanos(), nanos.getAsLong());
      timers.startTimerWithFixedDelay(new Tick(), settings.tick());
      Runnable handOut = () -> book.grant(nanos.getAsLong())
          .forEach(g -> g.node().tell(new Lease(queue, epoch, g.seq(), g.permits())));
      return Behaviors.receive(Command.class)
          .onMessage(Report.class, r -> {
            book.report(r.replyTo(), r.epoch() == epoch ? r.ack() : 0, r.wants(), r.held(), nanos.getAsLong());
            handOut.run();
            return Behaviors.same();
          })
          .onMessage(Tick.class, t -> {
            book.expire(nanos.getAsLong());
            handOut.run();
            return Behaviors.same();
          })
          .build();
    }));
  }
}
