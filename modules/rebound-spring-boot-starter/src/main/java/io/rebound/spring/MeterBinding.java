package io.rebound.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.rebound.core.Rebound;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Rebound's meters in the app's MeterRegistry: the app's registry is added to the node's composite
 * registry, so every Rebound meter (those it registered already too) is also in the app's, with
 * the app's common tags and filters, and shows on {@code /actuator/metrics} and
 * {@code /actuator/prometheus}.
 */
final class MeterBinding {
  private MeterBinding() {}

  static void bind(Rebound rebound, MeterRegistry app) {
    if (!(rebound.metrics().registry() instanceof CompositeMeterRegistry composite)) {
      throw new IllegalStateException("Rebound's registry is a " + rebound.metrics().registry().getClass().getName()
          + ", not a CompositeMeterRegistry: its meters cannot be bound into the app's");
    }
    composite.add(app);
    // After the attempts drained (their last meters counted), before the node closes its
    // registries: the app's registry belongs to the app, which closes it itself.
    CoordinatedShutdown.get(Adapter.toClassic(rebound.system()))
        .addTask(CoordinatedShutdown.PhaseClusterShutdown(), "rebound-spring-unbind-meters", () -> {
          composite.remove(app);
          return CompletableFuture.completedFuture(Done.getInstance());
        });
  }
}
