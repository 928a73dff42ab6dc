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
import io.rebound.core.storage.IndexDatabase;
import io.rebound.core.storage.JournalTagPlacement;
import io.rebound.core.index.IndexLag;
import io.rebound.core.index.IndexProjection;
import io.rebound.core.index.IndexSettings;
import io.rebound.core.index.ItemIndex;
import io.rebound.core.index.QuietProjectionStops;
import io.rebound.core.index.Retention;
import io.rebound.core.index.RetentionRun;
import io.rebound.core.item.HandoffRedelivery;
import io.rebound.core.item.History;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemEntity;
import io.rebound.core.item.ItemIds;
import io.rebound.core.item.ItemRuntime;
import io.rebound.core.item.ItemTransition;
import io.rebound.core.item.ItemView;
import io.rebound.core.item.PolicyData;
import io.rebound.core.item.WarmUp;
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
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Assembles a node: starts its actors (dispatcher, limiters, tools, index projection, metrics,
 * items, waker, retention, schedules, outbox relay), wires them to each other (items and tools
 * meet only here, through {@code ToolParkings} and an {@code Unparker}), joins the cluster and
 * hands the parts to the {@link Rebound} facade.
 */
final class NodeAssembly {
  /** How often the read side's lag is measured. */
  private static final Duration LAG_INTERVAL = Duration.ofSeconds(5);

  private NodeAssembly() {}

  /**
   * Starts this node's actors, wires them to each other and returns the facade once the node is Up
   * and ready to take items.
   *
   * @param clock where the node's persisted times, due times, retention and schedules come from
   */
  static Rebound assemble(ActorSystem<Void> system, ReboundSettings settings, IndexSettings indexSettings, WakeSettings wake,
      ScheduleSettings scheduleSettings, OutboxSettings outbox, Map<String, JobHandler> handlers, Database database, Clock clock) {
    Cluster cluster = Cluster.get(system);
    // Before any item writes: whether the journal may tag events in their rows depends on the members.
    system.systemActorOf(JournalTagPlacement.watcher(), "rebound-journal-tag-placement", Props.empty());
    CompletionStage<Done> tagsDecided = JournalTagPlacement.get(Adapter.toClassic(system)).decidedUp();
    CompletableFuture<Done> up = new CompletableFuture<>();
    org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(Done.getInstance()));
    boolean joinsACluster = !system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty();
    if (!joinsACluster) {
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
    system.log().info("Each queue may have {} items waiting for a permit at this node (rebound.backpressure.max-waiting-per-queue)",
        wake.maxWaitingPerQueue());
    ActorRef<Dispatcher.Command> dispatcher =
        system.systemActorOf(Dispatcher.create(settings.maxConcurrency(), limits, wake.maxWaitingPerQueue(),
            id -> ClusterSharding.get(system).entityRefFor(ItemEntity.ENTITY_TYPE_KEY, id).tell(new ItemEntity.Wake(null)), clusterLimits),
            "rebound-dispatcher", Props.empty());
    Executor handlerExecutor = system.dispatchers().lookup(DispatcherSelector.fromConfig("rebound.handler-dispatcher"));
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
    IndexProjection.init(system, indexDb, indexSettings, wake.rule());
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
    ActorRef<ShardingEnvelope<ItemEntity.Command>> items = ItemEntity.init(system, new ItemRuntime(settings.queues(), handlers,
        dispatcher, handlerExecutor, clock, health, tools, indexSettings.tagSlices(), wake.horizon(),
        system.settings().config().getBoolean("rebound.first-attempt-in-enqueue"),
        ReboundSettings.queueDefaults(system.settings().config()), ToolParkings.of(system)));
    // Commands a region dropped as a shard's handoff began (a node joining or leaving) go out again.
    system.systemActorOf(HandoffRedelivery.create(items), "rebound-handoff-redelivery", Props.empty());

    // Graceful shutdown: stop granting permits and let running attempts finish (bounded by the
    // phase timeout, rebound.shutdown-timeout); sharding then hands its entities off.
    CoordinatedShutdown.get(Adapter.toClassic(system))
        .addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "rebound-drain-attempts", () ->
            AskPattern.<Dispatcher.Command, Dispatcher.Drained>ask(
                    dispatcher, Dispatcher.Drain::new, settings.shutdownTimeout(), system.scheduler())
                .handleAsync((d, e) -> Done.getInstance(), system.executionContext()));
    try {
      up.get(30, TimeUnit.SECONDS);
      // The tag placement's watcher sees the same Up a moment later: from then on, the first
      // items are tagged as the membership says (in their rows on a node of its own).
      tagsDecided.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the node did not join its cluster within 30s", e);
    }
    // Before the waker brings any item back to work: the warm-up lengthens the start, not the
    // window between the waker's first wake and a caller's first command (a pause, say).
    warmUp(system, WarmUp.lookupsAtStart(system.settings().config(), joinsACluster), settings.askTimeout());
    // Items that left memory come back through the waker when the index shows them due.
    JournalTagPlacement placement = JournalTagPlacement.get(Adapter.toClassic(system));
    Waker.init(system, indexDb, settings.queues().keySet(), wake, clock, () -> !placement.inRow());
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
    Rebound node = new Rebound(system, settings, dispatcher, health, indexSettings, index, alerts, retention, metrics, wake, clock);
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

  /** Runs the item path's warm-up (read only); a warm-up that fails or times out only costs its time. */
  private static void warmUp(ActorSystem<?> system, int lookups, Duration timeout) {
    if (lookups == 0) {
      return;
    }
    long start = System.nanoTime();
    try {
      int answered = WarmUp.run(system, lookups, timeout).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      system.log().info("Warmed up the item path with {} look-ups of unknown ids ({} answered) in {} ms", lookups, answered,
          (System.nanoTime() - start) / 1_000_000);
    } catch (Exception e) {
      system.log().warn("The warm-up of the item path did not finish: {}", e.toString());
    }
  }

  static void createIndexTables(ActorSystem<?> system, IndexDatabase indexDb, Database database, ReboundSettings settings,
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
}
