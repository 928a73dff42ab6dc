package io.rebound.core;

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
import io.rebound.core.index.IndexDatabase;
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
  /** The cluster's schedule runner, reached through its singleton proxy; set once in boot. */
  private Schedules schedules;

  private Rebound(ActorSystem<Void> system, ReboundSettings settings, ActorRef<Dispatcher.Command> dispatcher, ToolHealth health,
      IndexSettings indexSettings, ItemIndex index, Alerts alerts, ActorRef<Retention.Command> retention, ReboundMetrics metrics,
      WakeSettings wake) {
    this.system = system;
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
        database.pekkoConfig().withFallback(encryption).withFallback(resolved));
    try {
      return boot(system, settings, indexSettings, wake, schedules, outbox, resolvedHandlers, database);
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  /**
   * Creates every table a node needs (journal, snapshots, index, projection offsets) when missing,
   * without starting a node: {@code rebound migrate}. Safe while nodes run.
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
      createIndexTables(system, indexDb, database, settings, IndexSettings.from(resolved).tagSlices());
      return database.url();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  private static void createIndexTables(ActorSystem<?> system, IndexDatabase indexDb, Database database, ReboundSettings settings,
      int tagSlices) {
    Map<String, List<String>> queueTools = new HashMap<>();
    settings.queues().forEach((name, q) -> queueTools.put(name, q.tools()));
    // Under the schema lock: CREATE TABLE IF NOT EXISTS still races on PostgreSQL when nodes start together.
    try (Schema.Lock lock = database.lock()) {
      // First: a node with another tag-slices must not touch the data at all.
      indexDb.run(c -> {
        io.rebound.core.index.IndexMeta.checkTagSlices(c, tagSlices);
        return Done.getInstance();
      }).toCompletableFuture().get(30, TimeUnit.SECONDS);
      IndexProjection.createTables(system, indexDb, queueTools).toCompletableFuture().get(30, TimeUnit.SECONDS);
      indexDb.run(c -> {
        OutboxSchema.ensure(c);
        return null;
      }).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof ReboundConfigException wrong) {
        throw wrong;
      }
      throw new IllegalStateException("cannot create the index tables: " + e.getCause().getMessage(), e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the index tables: " + e.getMessage(), e);
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

  private static Rebound boot(ActorSystem<Void> system, ReboundSettings settings, IndexSettings indexSettings, WakeSettings wake,
      ScheduleSettings scheduleSettings, OutboxSettings outbox, Map<String, JobHandler> handlers, Database database) {
    Cluster cluster = Cluster.get(system);
    CompletableFuture<Done> up = new CompletableFuture<>();
    org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(Done.getInstance()));
    if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      // No seed nodes: this node is a cluster of its own.
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    Map<String, Integer> limits = new HashMap<>();
    settings.queues().forEach((name, q) -> limits.put(name, q.concurrency()));
    // Cluster-wide limits: one sharded limiter per limited queue hands out permits to every node's dispatcher.
    LimitSettings limitSettings = LimitSettings.from(system.settings().config());
    QueueLimiter.init(system, settings.queues(), limitSettings);
    Set<String> limited = new java.util.HashSet<>();
    settings.queues().forEach((name, q) -> {
      if (q.limited()) {
        limited.add(name);
      }
    });
    HeldBack heldBack = new HeldBack();
    Dispatcher.Limits clusterLimits = new Dispatcher.Limits(Set.copyOf(limited),
        (queue, command) -> ClusterSharding.get(system).entityRefFor(QueueLimiter.ENTITY_TYPE_KEY, queue).tell(command),
        limitSettings, heldBack);
    ActorRef<Dispatcher.Command> dispatcher =
        system.systemActorOf(Dispatcher.create(settings.maxConcurrency(), limits, wake.maxWaitingPerQueue(),
            id -> ClusterSharding.get(system).entityRefFor(ItemEntity.ENTITY_TYPE_KEY, id).tell(new ItemEntity.Wake(null)), clusterLimits),
            "rebound-dispatcher", Props.empty());
    Executor handlerExecutor = system.dispatchers().lookup(DispatcherSelector.fromConfig("rebound.handler-dispatcher"));
    Clock clock = Clock.systemUTC();
    ToolHealth health = new ToolHealth(settings.tools().keySet());
    Map<String, Integer> rates = new HashMap<>();
    settings.tools().forEach((name, t) -> rates.put(name, t.releaseRate()));
    // The read side: its own small pool, closed once the actor system is done with it.
    IndexDatabase indexDb = new IndexDatabase(database.url(), database.user(), database.password(),
        indexSettings.poolSize() + indexSettings.queryThreads(),
        system.dispatchers().lookup(DispatcherSelector.fromConfig("rebound.index.query-dispatcher")));
    ClusterSharding sharding = ClusterSharding.get(system);
    // Tools and items reach each other only through these two functions, wired here.
    MissingMetadata.init(system, new MissingMetadata.Runtime(rates, system.settings().config().getInt("rebound.tool-defaults.release-rate"),
        health, clock, indexDb,
        (id, timeout) -> sharding.entityRefFor(ItemEntity.ENTITY_TYPE_KEY, id).<Done>ask(ItemEntity.Unpark::new, timeout)));
    ActorRef<ToolSupervisor.Command> tools = system.systemActorOf(
        ToolSupervisor.create(settings.tools(), health,
            system.dispatchers().lookup(DispatcherSelector.fromConfig("rebound.probe-dispatcher")),
            tool -> sharding.entityRefFor(MissingMetadata.ENTITY_TYPE_KEY, tool).tell(new MissingMetadata.ToolUp()), clock),
        "rebound-tools", Props.empty());

    CoordinatedShutdown.get(Adapter.toClassic(system)).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "rebound-close-index",
        () -> CompletableFuture.supplyAsync(() -> {
          indexDb.close();
          return Done.getInstance();
        }, system.executionContext()));
    createIndexTables(system, indexDb, database, settings, indexSettings.tagSlices());
    IndexProjection.init(system, indexDb, indexSettings);
    ItemIndex index = new ItemIndex(indexDb);
    // How far the read side is behind: a gauge and an alert, since the waker reads the index.
    IndexLag lag = new IndexLag(indexDb, io.rebound.core.item.ItemTags.all(indexSettings.tagSlices()));
    system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(1), LAG_INTERVAL,
        () -> lag.measure(clock.instant()).whenComplete((d, e) -> {
          if (e != null) {
            system.log().warn("Cannot measure the read side's lag: {}", e.getMessage());
          }
        }), system.executionContext());
    Alerts alerts = new Alerts(index, settings.queues(), indexSettings.alerts(), clock,
        io.rebound.core.index.ProjectionHealth.get(system), lag::last);

    // Before the items start, so that it sees their first transitions; depth comes from the index.
    MetricsSettings metricsSettings = MetricsSettings.from(system.settings().config());
    ReboundMetrics metrics = ReboundMetrics.start(system, metricsSettings, settings.queues().keySet(), index::depthByQueue, settings.askTimeout());
    io.micrometer.core.instrument.Gauge.builder("rebound.index.lag", lag, l -> l.last().toMillis() / 1000.0)
        .description("How far the read side (rebound_item) is behind the journal; due items wake about this late")
        .baseUnit("seconds").register(metrics.registry());
    io.micrometer.core.instrument.FunctionCounter.builder("rebound.index.quarantined",
            io.rebound.core.index.ProjectionHealth.get(system), io.rebound.core.index.ProjectionHealth::quarantined)
        .description("Events this node's index projection could not store and put in rebound_index_quarantine")
        .register(metrics.registry());
    io.rebound.core.metrics.HeldBackGauges heldBackGauges = new io.rebound.core.metrics.HeldBackGauges(
        metrics.registry(), heldBack, limitSettings.metricGroups());
    system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(1), Duration.ofSeconds(1), heldBackGauges::refresh, system.executionContext());
    CoordinatedShutdown.get(Adapter.toClassic(system))
        .addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "rebound-metrics-close", () -> {
          metrics.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    // Depth history for the alerts, from the depth the Metrics actor already polls.
    Duration sampleEvery = indexSettings.alerts().depthSampleInterval();
    system.scheduler().scheduleWithFixedDelay(sampleEvery, sampleEvery, () -> alerts.sample(metrics.latest().queues().entrySet().stream()
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().depth()))), system.executionContext());
    ItemEntity.init(system, new ItemRuntime(settings.queues(), handlers, dispatcher, handlerExecutor, clock, health, tools,
        indexSettings.tagSlices(), wake.horizon(), system.settings().config().getBoolean("rebound.first-attempt-in-enqueue"),
        ReboundSettings.queueDefaults(system.settings().config()), ToolParkings.of(system)));
    // Items that left memory come back through the waker when the index shows them due.
    Waker.init(system, indexDb, settings.queues().keySet(), wake, clock);

    // Graceful shutdown: stop granting permits and let running attempts finish (bounded by the
    // phase timeout, rebound.shutdown-timeout); sharding then hands its entities off.
    CoordinatedShutdown.get(Adapter.toClassic(system))
        .addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "rebound-drain-attempts", () ->
            AskPattern.<Dispatcher.Command, Dispatcher.Drained>ask(
                    dispatcher, Dispatcher.Drain::new, settings.shutdownTimeout(), system.scheduler())
                .handleAsync((d, e) -> Done.getInstance(), system.executionContext()));
    try {
      up.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the node did not join its cluster within 30s", e);
    }
    // Retention: purges terminal items past their queue's retention (not started when disabled).
    ActorRef<Retention.Command> retention = settings.retention().enabled()
        ? system.systemActorOf(Retention.create(settings, clock), "rebound-retention", Props.empty()) : null;
    // Once the Metrics actor answers it has subscribed to the transitions and registered every
    // queue's meters: no item of this node goes uncounted, the first scrape shows every queue.
    try {
      metrics.snapshot().toCompletableFuture().get(settings.askTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the node's Metrics actor did not start", e);
    }
    Rebound node = new Rebound(system, settings, dispatcher, health, indexSettings, index, alerts, retention, metrics, wake);
    // Recurring schedules: one runner in the cluster, enqueueing through this facade (dedup keys per tick).
    node.schedules = Schedules.start(system, scheduleSettings,
        (queue, request) -> node.enqueue(queue, request).thenApply(r -> r.item().id()), clock, settings.askTimeout());
    if (metricsSettings.queueBeans()) {
      org.apache.pekko.cluster.UniqueAddress self = cluster.selfMember().uniqueAddress();
      metrics.registerQueueBeans(settings.queues().keySet(), self.address() + "#" + self.longUid(), node.queueControl());
    }
    if (outbox.enabled()) {
      // Once the node takes enqueues: committed rows of rebound_outbox become items (one relay per cluster).
      OutboxRelay.init(system, database.url(), database.user(), database.password(), outbox, node::enqueueAs, clock,
          new OutboxMeters(metrics.registry()));
    }
    return node;
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
  private CompletionStage<EnqueueResult> enqueueAs(String id, String queue, EnqueueRequest request, String traceparent) {
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
        Cluster.get(system).selfMember().address().toString(), java.time.Clock.systemUTC());
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

  /** The items parked on a tool, the first {@code limit} in release order. */
  public CompletionStage<MissingMetadata.ParkedItems> parked(String tool, int limit) {
    if (!health.knows(tool)) {
      return CompletableFuture.failedFuture(new UnknownToolException(tool));
    }
    return sharding.entityRefFor(MissingMetadata.ENTITY_TYPE_KEY, tool)
        .<MissingMetadata.ParkedItems>ask(r -> new MissingMetadata.GetParked(limit, r), askTimeout)
        .thenApplyAsync(p -> p, ec);
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

  /** Permits out and waiting on this node, per queue. */
  public CompletionStage<Dispatcher.Stats> dispatcherStats() {
    return AskPattern.<Dispatcher.Command, Dispatcher.Stats>ask(dispatcher, Dispatcher.GetStats::new, askTimeout, system.scheduler())
        .thenApplyAsync(stats -> stats, ec);
  }

  /** What the queue MBeans may do: this facade's pause and resume, and the dispatcher's view. */
  private QueueControl queueControl() {
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
          Dispatcher.QueueStats q = stats.queues().get(queue);
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
