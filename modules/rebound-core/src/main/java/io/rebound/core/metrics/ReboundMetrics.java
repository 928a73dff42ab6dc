package io.rebound.core.metrics;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.jmx.JmxConfig;
import io.micrometer.jmx.JmxMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A node's metrics: the {@link Metrics} actor, the Micrometer registries it fills (Prometheus
 * always, JMX when {@code rebound.metrics.jmx} is on) and the queue MBeans.
 */
public final class ReboundMetrics implements AutoCloseable {
  private final ActorSystem<?> system;
  private final CompositeMeterRegistry registry;
  private final PrometheusMeterRegistry prometheus;
  private final List<MeterRegistry> children;
  private final ActorRef<Metrics.Command> actor;
  private final AtomicReference<MetricsSnapshot> published;
  private final Duration askTimeout;
  /** Where continuations of asks run (see the note on Rebound's executor). */
  private final Executor ec;
  private QueueBeans beans;

  private ReboundMetrics(
      ActorSystem<?> system, CompositeMeterRegistry registry, PrometheusMeterRegistry prometheus, List<MeterRegistry> children,
      ActorRef<Metrics.Command> actor, AtomicReference<MetricsSnapshot> published, Duration askTimeout) {
    this.system = system;
    this.registry = registry;
    this.prometheus = prometheus;
    this.children = children;
    this.actor = actor;
    this.published = published;
    this.askTimeout = askTimeout;
    this.ec = system.executionContext();
  }

  /** Builds the registries and starts the node's Metrics actor (subscribed to the items' transitions). */
  public static ReboundMetrics start(
      ActorSystem<?> system, MetricsSettings settings, Collection<String> queues, DepthSource depth, Duration askTimeout) {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<MeterRegistry> children = new ArrayList<>();
    children.add(prometheus);
    if (settings.jmx()) {
      JmxConfig jmx = new JmxConfig() {
        @Override
        public String get(String key) {
          return null; // Micrometer's defaults for everything else
        }

        @Override
        public String domain() {
          return settings.jmxDomain();
        }
      };
      children.add(new JmxMeterRegistry(jmx, Clock.SYSTEM));
    }
    CompositeMeterRegistry registry = new CompositeMeterRegistry(Clock.SYSTEM, children);
    AtomicReference<MetricsSnapshot> published = new AtomicReference<>();
    ActorRef<Metrics.Command> actor = system.systemActorOf(
        Metrics.create(registry, queues, depth, settings, java.time.Clock.systemUTC(), published), "rebound-metrics", Props.empty());
    return new ReboundMetrics(system, registry, prometheus, List.copyOf(children), actor, published, askTimeout);
  }

  /**
   * Registers {@code io.rebound:type=Queue,name=<queue>} for each queue on the platform
   * MBeanServer; {@link #close()} unregisters them.
   *
   * @param node this node's unique name, so that it unregisters only its own beans
   */
  public synchronized void registerQueueBeans(Collection<String> queues, String node, QueueControl control) {
    if (beans != null) {
      throw new IllegalStateException("the queue MBeans are registered already");
    }
    beans = QueueBeans.register(queues, node, this::latest, control, askTimeout);
  }

  /** The registry every meter lives in: add your own meters, or another registry, here. */
  public MeterRegistry registry() {
    return registry;
  }

  /** The meters in the Prometheus text format (version 0.0.4). */
  public String scrape() {
    return prometheus.scrape();
  }

  /** Everything the actor knows now (asked, so it includes every transition it has seen). */
  public CompletionStage<MetricsSnapshot> snapshot() {
    return AskPattern.<Metrics.Command, MetricsSnapshot>ask(actor, Metrics.GetSnapshot::new, askTimeout, system.scheduler())
        .thenApplyAsync(s -> s, ec);
  }

  /** The snapshot the actor published last (at most a second old), without asking it. */
  public MetricsSnapshot latest() {
    return published.get();
  }

  /** Unregisters the queue MBeans and closes the registries (the JMX one unregisters its beans). */
  @Override
  public synchronized void close() {
    if (beans != null) {
      beans.close();
      beans = null;
    }
    registry.close();
    children.forEach(MeterRegistry::close);
  }
}
