package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.OverloadedException;
import io.rebound.core.enqueue.UnknownQueueException;
import io.rebound.core.enqueue.EnqueueResult;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.crypto.Encryption;
import io.rebound.api.JobHandler;
import io.rebound.api.RetryPolicy;
import io.rebound.core.config.ConfigCheck;
import io.rebound.core.config.EffectiveConfig;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.config.ReboundSettings;
import io.rebound.core.dispatch.Dispatcher;
import io.rebound.core.limit.HeldBack;
import io.rebound.core.limit.LimitSettings;
import io.rebound.core.limit.QueueLimiter;
import io.rebound.core.handler.Handlers;
import io.rebound.core.index.Alerts;
import io.rebound.core.storage.IndexDatabase;
import io.rebound.core.storage.JournalTagPlacement;
import io.rebound.core.index.IndexLag;
import io.rebound.core.index.IndexProjection;
import io.rebound.core.index.IndexSettings;
import io.rebound.core.index.ItemIndex;
import io.rebound.core.index.QuietProjectionStops;
import io.rebound.core.index.Retention;
import io.rebound.core.index.RetentionRun;
import io.rebound.core.item.History;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemIds;
import io.rebound.core.item.ItemRuntime;
import io.rebound.core.item.ItemTransition;
import io.rebound.core.item.ItemView;
import io.rebound.core.item.PolicyData;
import io.rebound.core.metrics.MetricsSettings;
import io.rebound.core.metrics.QueueControl;
import io.rebound.core.metrics.ReboundMetrics;
import io.rebound.core.schedule.ScheduleSettings;
import io.rebound.core.schedule.Schedules;
import io.rebound.core.outbox.OutboxMeters;
import io.rebound.core.outbox.OutboxRelay;
import io.rebound.core.outbox.OutboxSchema;
import io.rebound.core.outbox.OutboxSettings;
import io.rebound.core.storage.Schema;
import io.rebound.core.tools.MissingMetadata;
import io.rebound.core.tools.ToolParkings;
import io.rebound.core.tools.ProbeTypes;
import io.rebound.core.tools.ToolHealth;
import io.rebound.core.tools.ToolSupervisor;
import io.rebound.core.tools.ToolView;
import io.rebound.core.tracing.Traceparent;
import io.rebound.core.wake.WakeSettings;
import io.rebound.core.wake.Waker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * An embedded Rebound node: start it with {@link #start(Config, Map)}, enqueue items, read their
 * status and history, cancel and redrive them, and {@link #shutdown()} it gracefully.
 *
 * <p>Every method is asynchronous and safe from any thread. Failed stages carry {@link
 * UnknownQueueException}, {@link ItemNotFoundException} or {@link IllegalTransitionException}.
 */
public final class Rebound implements AutoCloseable {
  /** The actor system's name: part of every node's address, so seed nodes must use it too. */
  public static final String SYSTEM_NAME = "rebound";
  private static final AtomicInteger LISTENERS = new AtomicInteger();
  /** How often the read side's lag is measured. */
  private static final Duration LAG_INTERVAL = Duration.ofSeconds(5);

  private final ActorSystem<Void> system;
  private final ReboundSettings settings;
  private final ActorRef<Dispatcher.Command> dispatcher;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  /**
   * Continuations of the stages Pekko returns run here. Scala's CompletionStage wrapper turns a
   * plain thenApply into thenApplyAsync on the common pool, which with one CPU to spare (2 cores)
   * starts a new thread per call.
   */
  private final Executor ec;
  private final ToolHealth health;
  private final IndexSettings indexSettings;
  private final ItemIndex index;
  private final Alerts alerts;
  /** The retention job, or null when rebound.retention.enabled = off. */
  private final ActorRef<Retention.Command> retention;
  private final ReboundMetrics metrics;
  private final WakeSettings wake;
  /** Enqueues asked of items and not yet answered: bounded by rebound.backpressure.max-enqueues-in-flight. */
  private final AtomicInteger enqueuesInFlight = new AtomicInteger();
  /** The cluster's schedule runner, reached through its singleton proxy; set once by the assembly. */
  Schedules schedules;
  private final Clock clock;

  /** Built by {@link NodeAssembly}, which starts and wires the node's actors. */
  Rebound(ActorSystem<Void> system, ReboundSettings settings, ActorRef<Dispatcher.Command> dispatcher, ToolHealth health,
      IndexSettings indexSettings, ItemIndex index, Alerts alerts, ActorRef<Retention.Command> retention, ReboundMetrics metrics,
      WakeSettings wake, Clock clock) {
    this.system = system;
    this.clock = clock;
    this.wake = wake;
    this.retention = retention;
    this.health = health;
    this.indexSettings = indexSettings;
    this.index = index;
    this.alerts = alerts;
    this.metrics = metrics;
    this.settings = settings;
    this.dispatcher = dispatcher;
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = settings.askTimeout();
    this.ec = system.executionContext();
  }

  /** Starts a node whose queues all name their handler type in config. */
  public static Rebound start(Config config) {
    return start(config, Map.of());
  }

  /**
   * Starts a node and waits until it is ready to take items.
   *
   * @param config the application config (layered over Rebound's and Pekko's reference.conf)
   * @param handlers handlers by queue name; a queue without one names its type in config
   * @throws ReboundConfigException naming the key, when the config is wrong
   */
  public static Rebound start(Config config, Map<String, JobHandler> handlers) {
    return start(config, handlers, new Handlers());
  }

  /** As {@link #start(Config, Map)}, with more handler types to choose from in config. */
  public static Rebound start(Config config, Map<String, JobHandler> handlers, Handlers types) {
    return start(config, handlers, types, Clock.systemUTC());
  }

  /**
   * As {@link #start(Config, Map, Handlers)}, with the clock the node's persisted times, due times,
   * retention and schedules come from (end-to-end tests control time with it). Pekko's timers keep
   * their own scheduler: a test moves both.
   */
  public static Rebound start(Config config, Map<String, JobHandler> handlers, Handlers types, Clock clock) {
    Config resolved = withDefaults(config);
    configCheck(types).withHandlersInCode(handlers.keySet()).enforce(resolved);
    ReboundSettings settings = ReboundSettings.from(resolved);
    IndexSettings indexSettings = IndexSettings.from(resolved);
    WakeSettings wake = WakeSettings.from(resolved);
    ScheduleSettings schedules = ScheduleSettings.from(resolved, settings.queues().keySet());
    OutboxSettings outbox = OutboxSettings.from(resolved);
    Map<String, JobHandler> resolvedHandlers = types.resolve(handlers, settings.handlers());
    Database database = Database.of(settings, resolved);
    database.ensureJournal();
    Config encryption = Encryption.pekkoConfig(resolved);
    QuietProjectionStops.install();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME,
        database.pekkoConfig().withFallback(encryption).withFallback(JournalTagPlacement.withRole(resolved)).withFallback(resolved));
    try {
      return NodeAssembly.assemble(system, settings, indexSettings, wake, schedules, outbox, resolvedHandlers, database, clock);
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  /**
   * Creates every table a node needs (journal, snapshots, index, projection offsets) when missing,
   * without starting a node: {@code rebound migrate}. Safe while nodes run, though the first one
   * after an upgrade may build an index, which on PostgreSQL holds up the journal's writes while it
   * builds (OPERATIONS says how to build it beforehand).
   *
   * @return the database URL it migrated
   */
  public static String migrate(Config config) {
    Config resolved = withDefaults(config);
    ReboundSettings settings = ReboundSettings.from(resolved);
    Database database = Database.of(settings, resolved);
    database.ensureJournal();
    // The projections' offset tables are created by pekko-projection, which needs an actor system;
    // a local one will do (it joins no cluster).
    Config local = ConfigFactory.parseMap(Map.of("pekko.actor.provider", "local", "pekko.loglevel", "WARNING",
        "pekko.coordinated-shutdown.exit-jvm", "off"));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME + "-migrate",
        local.withFallback(database.pekkoConfig()).withFallback(resolved));
    try (IndexDatabase indexDb = new IndexDatabase(database.url(), database.user(), database.password(), 1,
        system.dispatchers().lookup(DispatcherSelector.fromConfig("pekko.projection.jdbc.blocking-jdbc-dispatcher")))) {
      NodeAssembly.createIndexTables(system, indexDb, database, settings, IndexSettings.from(resolved).tagSlices());
      return database.url();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  /**
   * The config as a node sees it: yours, over Rebound's Pekko settings, over every reference.conf,
   * with {@code ${?VAR}} taken from the environment ({@link EffectiveConfig}).
   */
  public static Config withDefaults(Config config) {
    return EffectiveConfig.resolve(config);
  }

  /**
   * The strict check of {@code rebound.*} keys a start runs ({@link ConfigCheck}): the keys of every
   * reference.conf, the given handler types and the probe types.
   */
  public static ConfigCheck configCheck(Handlers types) {
    return ConfigCheck.against(ConfigFactory.defaultReference())
        .withHandlerTypes(types.keys())
        .withProbeTypes(ProbeTypes.keys());
  }

  // ---- items ------------------------------------------------------------------------------

  /**
   * Enqueues an item; with a key that exists in the queue, answers with the existing item. Fails
   * at once with {@link OverloadedException} while the node has {@code
   * rebound.backpressure.max-enqueues-in-flight} enqueues in progress.
   */
  public CompletionStage<EnqueueResult> enqueue(String queue, EnqueueRequest request) {
    // The caller's span, if an OpenTelemetry SDK traces it: the item's attempts join its trace.
    return enqueueAs(request.key().map(k -> ItemIds.forKey(queue, k)).orElseGet(ItemIds::random), queue, request,
        Traceparent.current());
  }

  /**
   * Enqueues as the item {@code id}: the outbox relay's ids come from its rows, so a repeat finds
   * the item; the trace context comes from the row too.
   */
  CompletionStage<EnqueueResult> enqueueAs(String id, String queue, EnqueueRequest request, String traceparent) {
    QueueSettings q = settings.queues().get(queue);
    if (q == null) {
      return CompletableFuture.failedFuture(new UnknownQueueException(queue));
    }
    PolicyData policy = ownPolicy(q, request);
    Instant notBefore = request.delay().isZero() ? null : Instant.now().plus(request.delay());
    int inFlight = enqueuesInFlight.incrementAndGet();
    if (inFlight > wake.maxEnqueuesInFlight()) {
      enqueuesInFlight.decrementAndGet();
      return CompletableFuture.failedFuture(new OverloadedException(inFlight - 1, Duration.ofSeconds(1)));
    }
    return ask(id, r -> new ItemEntity.Enqueue(queue, request.key().orElse(null), request.payload(), request.priority(), notBefore, policy, r,
        request.group().orElse(null), traceparent))
        .whenCompleteAsync((reply, error) -> enqueuesInFlight.decrementAndGet(), ec)
        .thenApplyAsync(reply -> {
          if (reply instanceof ItemEntity.Accepted a) {
            return new EnqueueResult(a.item(), a.created());
          }
          throw new IllegalStateException("unexpected reply to enqueue: " + reply);
        }, ec);
  }

  /** The item as it is now, or empty when no item has this id. */
  public CompletionStage<Optional<ItemView>> status(String id) {
    if (!ItemIds.isValid(id)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return ifMayExist(id, () -> ask(id, ItemEntity.GetItem::new), new ItemEntity.NotFound(id))
        .thenApplyAsync(reply -> reply instanceof ItemEntity.Accepted a ? Optional.of(a.item()) : Optional.<ItemView>empty(), ec);
  }

  /** Every step of the item's life, oldest first, read from its journal. */
  public CompletionStage<List<HistoryEntry>> history(String id) {
    if (!ItemIds.isValid(id)) {
      return CompletableFuture.failedFuture(new ItemNotFoundException(id));
    }
    JdbcReadJournal journal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return journal.currentEventsByPersistenceId(ItemEntity.persistenceId(id).id(), 0L, Long.MAX_VALUE)
        .map(env -> History.entry(env.sequenceNr(), (ItemEntity.Event) env.event()))
        .runWith(Sink.seq(), system)
        .thenApplyAsync(entries -> {
          if (entries.isEmpty()) {
            throw new ItemNotFoundException(id);
          }
          return List.copyOf(entries);
        }, ec);
  }

  /**
   * The item as it was at {@code at}, folded from its journal by the entity's own event handler,
   * with its history up to then; read from the journal, the item is not woken.
   */
  public CompletionStage<io.rebound.core.item.StateAt.Past> historyAt(String id, Instant at) {
    if (!ItemIds.isValid(id)) {
      return CompletableFuture.failedFuture(new ItemNotFoundException(id));
    }
    JdbcReadJournal journal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return journal.currentEventsByPersistenceId(ItemEntity.persistenceId(id).id(), 0L, Long.MAX_VALUE)
        .map(env -> new io.rebound.core.item.StateAt.Recorded(env.sequenceNr(), (ItemEntity.Event) env.event()))
        .runWith(Sink.seq(), system)
        .thenApplyAsync(events -> {
          if (events.isEmpty()) {
            throw new ItemNotFoundException(id);
          }
          return io.rebound.core.item.StateAt.past(id, events, at, queue -> {
            QueueSettings q = settings.queues().get(queue);
            return q != null ? q.retryPolicy() : io.rebound.api.RetryPolicy.defaults();
          });
        }, ec);
  }

  /** Cancels a PENDING, WAITING, PARKED or RUNNING item (a running handler finishes unheeded). */
  public CompletionStage<ItemView> cancel(String id, String reason) {
    return change(id, "cancel", r -> new ItemEntity.Cancel(reason, r));
  }

  public CompletionStage<ItemView> cancel(String id) {
    return cancel(id, "cancelled by request");
  }

  /** Sends a dead-lettered item back to PENDING; its attempts start again from 1. */
  public CompletionStage<ItemView> redrive(String id) {
    return change(id, "redrive", ItemEntity.Redrive::new);
  }

  // ---- read side --------------------------------------------------------------------------

  /**
   * Starts rebuilding the index from the journal beside the live one, then swaps it in (see
   * {@link io.rebound.core.index.IndexRebuild}); fails with its AlreadyRunningException while
   * another rebuild runs anywhere in the cluster.
   */
  public CompletionStage<io.rebound.core.index.IndexRebuild.Status> rebuildIndex() {
    return indexRebuild().start().thenApplyAsync(s -> s, ec);
  }

  /** The running or last index rebuild. */
  public CompletionStage<io.rebound.core.index.IndexRebuild.Status> indexRebuildStatus() {
    return indexRebuild().status().thenApplyAsync(s -> s, ec);
  }

  private io.rebound.core.index.IndexRebuild indexRebuild() {
    return new io.rebound.core.index.IndexRebuild(system, index.database(), indexSettings.tagSlices(),
        Cluster.get(system).selfMember().address().toString(), clock, wake.rule());
  }

  /**
   * What another retry policy would have done with a queue's recent items: read from the index
   * and the journal only, never by waking items (docs/REPLAY.md).
   */
  public CompletionStage<io.rebound.core.replay.ReplayReport> replay(io.rebound.core.replay.ReplayRequest request) {
    requireQueue(request.queue());
    return new io.rebound.core.replay.QueueReplay(system, index.database()).run(request).thenApplyAsync(r -> r, ec);
  }

  /** Lists, counts and dead-letter queries over the index table (it may lag the items by a moment). */
  public ItemIndex index() {
    return index;
  }

  /** Stuck items and alerts, per configured queue. */
  public CompletionStage<Alerts.Report> alerts() {
    return alerts.report().thenApplyAsync(r -> r, ec);
  }

  /**
   * A bulk redrive that has started: {@code matched} dead letters were selected, and {@code done}
   * completes with how many were sent back (an item that left DEAD_LETTERED meanwhile is skipped).
   */
  public record BulkRedrive(int matched, int ratePerSecond, CompletionStage<Integer> done) {}

  /** Redrives a queue's dead letters that match the filter, at {@code rebound.index.redrive-rate} per second. */
  public CompletionStage<BulkRedrive> redriveDeadLetters(String queue, ItemIndex.DeadLetterFilter filter) {
    requireQueue(queue);
    int rate = indexSettings.redriveRate();
    return index.deadLetters(queue, filter).thenApplyAsync(ids -> {
      CompletionStage<Integer> done = Source.from(ids)
          .throttle(rate, Duration.ofSeconds(1))
          .mapAsyncUnordered(4, id -> redrive(id).handle((v, e) -> e == null ? 1 : 0))
          .runWith(Sink.fold(0, Integer::sum), system);
      return new BulkRedrive(ids.size(), rate, done);
    }, ec);
  }

  // ---- tools ------------------------------------------------------------------------------

  /** A tool as this node sees it, and how many items are parked on it. */
  public record ToolStatus(ToolView view, int parked) {}

  /** Every configured tool with its state and parked count. */
  public CompletionStage<List<ToolStatus>> tools() {
    List<CompletableFuture<ToolStatus>> all = health.all().stream()
        .map(v -> parked(v.name(), 0).thenApply(p -> new ToolStatus(v, p.count())).toCompletableFuture())
        .toList();
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(x -> all.stream().map(CompletableFuture::join).toList());
  }

  /**
   * The items parked on a tool.
   *
   * @param count how many are parked on it
   * @param items the ids of the first of them in release order
   */
  public record ParkedItems(int count, List<String> items) {}

  /** The items parked on a tool, the first {@code limit} in release order. */
  public CompletionStage<ParkedItems> parked(String tool, int limit) {
    if (!health.knows(tool)) {
      return CompletableFuture.failedFuture(new UnknownToolException(tool));
    }
    return sharding.entityRefFor(MissingMetadata.ENTITY_TYPE_KEY, tool)
        .<MissingMetadata.ParkedItems>ask(r -> new MissingMetadata.GetParked(limit, r), askTimeout)
        .thenApplyAsync(p -> new ParkedItems(p.count(), p.items()), ec);
  }

  /** Releases every item parked on a tool now (at its release rate), whatever its probe says. */
  public CompletionStage<Integer> releaseParked(String tool) {
    if (!health.knows(tool)) {
      return CompletableFuture.failedFuture(new UnknownToolException(tool));
    }
    return sharding.entityRefFor(MissingMetadata.ENTITY_TYPE_KEY, tool)
        .<MissingMetadata.ReleaseStarted>ask(MissingMetadata.ReleaseAll::new, askTimeout)
        .thenApplyAsync(MissingMetadata.ReleaseStarted::items, ec);
  }

  // ---- retention --------------------------------------------------------------------------

  /**
   * Runs the retention job once now (right after a run in progress) and answers with what it
   * purged. Fails with IllegalStateException when {@code rebound.retention.enabled = off}.
   */
  public CompletionStage<RetentionRun> purgeNow() {
    if (retention == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("retention is off on this node (rebound.retention.enabled)"));
    }
    // A run purges up to batch-size items per queue and status, longer than a command to an item may take.
    return AskPattern.<Retention.Command, RetentionRun>askWithStatus(
            retention, Retention.PurgeNow::new, Duration.ofMinutes(10), system.scheduler())
        .thenApplyAsync(run -> run, ec);
  }

  /** What the last retention run on this node did; empty before the first one or when retention is off. */
  public CompletionStage<Optional<RetentionRun>> lastPurge() {
    if (retention == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return AskPattern.<Retention.Command, Optional<RetentionRun>>ask(
            retention, Retention.GetLastRun::new, askTimeout, system.scheduler())
        .thenApplyAsync(run -> run, ec);
  }

  // ---- schedules --------------------------------------------------------------------------

  /** The recurring schedules (rebound.schedules): list them, pause, resume or trigger one. */
  public Schedules schedules() {
    return schedules;
  }

  // ---- queues and node --------------------------------------------------------------------

  public Map<String, QueueSettings> queues() {
    return settings.queues();
  }

  /** A paused queue still accepts items but starts no attempts (until {@link #resume}; not persisted). */
  public void pause(String queue) {
    requireQueue(queue);
    dispatcher.tell(new Dispatcher.Pause(queue));
  }

  public void resume(String queue) {
    requireQueue(queue);
    dispatcher.tell(new Dispatcher.Resume(queue));
  }

  /**
   * This node's attempt permits.
   *
   * @param running attempts running on this node
   * @param waiting items waiting for a permit on this node
   * @param draining the node is shutting down: it grants no more permits
   * @param queues the same per queue
   */
  public record Permits(int running, int waiting, boolean draining, Map<String, QueuePermits> queues) {}

  /** One queue's attempt permits on this node: its concurrency {@code limit} and whether it is paused. */
  public record QueuePermits(int running, int waiting, int limit, boolean paused) {}

  /** Permits out and waiting on this node, per queue. */
  public CompletionStage<Permits> dispatcherStats() {
    return AskPattern.<Dispatcher.Command, Dispatcher.Stats>ask(dispatcher, Dispatcher.GetStats::new, askTimeout, system.scheduler())
        .thenApplyAsync(Rebound::permits, ec);
  }

  private static Permits permits(Dispatcher.Stats s) {
    Map<String, QueuePermits> queues = new java.util.TreeMap<>();
    s.queues().forEach((q, v) -> queues.put(q, new QueuePermits(v.running(), v.waiting(), v.limit(), v.paused())));
    return new Permits(s.running(), s.waiting(), s.draining(), java.util.Collections.unmodifiableMap(queues));
  }


  /** What the queue MBeans may do: this facade's pause and resume, and the dispatcher's view. */
  QueueControl queueControl() {
    return new QueueControl() {
      @Override
      public void pause(String queue) {
        Rebound.this.pause(queue);
      }

      @Override
      public void resume(String queue) {
        Rebound.this.resume(queue);
      }

      @Override
      public CompletionStage<Boolean> paused(String queue) {
        return dispatcherStats().thenApply(stats -> {
          QueuePermits q = stats.queues().get(queue);
          return q != null && q.paused();
        });
      }
    };
  }

  /**
   * This node's metrics: {@link ReboundMetrics#scrape()} (Prometheus text), {@link
   * ReboundMetrics#snapshot()} (the figures of the JSON view), {@link ReboundMetrics#registry()}
   * (the Micrometer registry, for your own meters). Closed when the node shuts down.
   */
  public ReboundMetrics metrics() {
    return metrics;
  }

  /**
   * Calls the listener for every status change of an item on this node, in order per item, on
   * one actor thread: keep it quick.
   */
  public void onTransition(Consumer<ItemTransition> listener) {
    ActorRef<ItemTransition> ref = system.systemActorOf(
        Behaviors.receive(ItemTransition.class)
            .onMessage(ItemTransition.class, t -> {
              listener.accept(t);
              return Behaviors.same();
            })
            .build(),
        "rebound-transition-listener-" + LISTENERS.incrementAndGet(),
        Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(ItemTransition.class, ref));
  }

  public ReboundSettings settings() {
    return settings;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /**
   * Stops the node gracefully: no new attempts start, running ones get up to {@code
   * rebound.shutdown-timeout} to finish, then everything stops. Items left pending or waiting are
   * durable and resume on the next start; an attempt cut off by the deadline is recorded as
   * ORPHANED then.
   */
  public CompletionStage<Done> shutdown() {
    return CoordinatedShutdown.get(Adapter.toClassic(system)).runAll(CoordinatedShutdown.unknownReason());
  }

  @Override
  public void close() {
    shutdown().toCompletableFuture().join();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static PolicyData ownPolicy(QueueSettings q, EnqueueRequest request) {
    if (request.retryPolicy().isEmpty() && request.maxAttempts().isEmpty()) {
      return null;
    }
    RetryPolicy base = request.retryPolicy().orElse(q.retryPolicy());
    RetryPolicy p = request.maxAttempts().map(n -> base.toBuilder().maxAttempts(n).build()).orElse(base);
    return PolicyData.of(p);
  }

  private CompletionStage<ItemView> change(String id, String action, Function<ActorRef<ItemEntity.Reply>, ItemEntity.Command> command) {
    if (!ItemIds.isValid(id)) {
      return CompletableFuture.failedFuture(new ItemNotFoundException(id));
    }
    return ifMayExist(id, () -> ask(id, command), new ItemEntity.NotFound(id)).thenApplyAsync(reply -> {
      if (reply instanceof ItemEntity.Accepted a) {
        return a.item();
      }
      if (reply instanceof ItemEntity.Rejected r) {
        throw new IllegalTransitionException(r.item(), action);
      }
      throw new ItemNotFoundException(id);
    }, ec);
  }

  /**
   * Asks the item only when the index or its journal knows it: an unknown id (a typo, a purged
   * item, a scan) is answered without starting an entity on some node.
   */
  private CompletionStage<ItemEntity.Reply> ifMayExist(String id, java.util.function.Supplier<CompletionStage<ItemEntity.Reply>> ask,
      ItemEntity.Reply otherwise) {
    return index.mayExist(id, ItemEntity.persistenceId(id).id())
        .thenCompose(known -> known ? ask.get() : CompletableFuture.completedFuture(otherwise));
  }

  private CompletionStage<ItemEntity.Reply> ask(String id, Function<ActorRef<ItemEntity.Reply>, ItemEntity.Command> command) {
    return sharding.entityRefFor(ItemEntity.ENTITY_TYPE_KEY, id).ask(command::apply, askTimeout);
  }

  private void requireQueue(String queue) {
    if (!settings.queues().containsKey(queue)) {
      throw new UnknownQueueException(queue);
    }
  }
}
