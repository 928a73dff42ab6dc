package io.rebound.server.node;

import io.rebound.core.index.ProjectionHealth;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;

/**
 * Pekko Management readiness check "index projections": no slice of the index projection running
 * on this node has failed {@link ProjectionHealth#FAILING_AFTER} groups in a row. A slice that
 * cannot write its events (the read side stalled) takes the node out of readiness.
 */
public final class IndexHealthCheck implements Supplier<CompletionStage<Boolean>> {
  private final ProjectionHealth health;
  private final LoggingAdapter log;

  public IndexHealthCheck(ActorSystem system) {
    this.health = ProjectionHealth.get(Adapter.toTyped(system));
    this.log = Logging.getLogger(system, IndexHealthCheck.class);
  }

  @Override
  public CompletionStage<Boolean> get() {
    List<ProjectionHealth.Failing> failing = health.failing();
    failing.forEach(f -> log.warning("Health check: index slice {} failed {} times in a row: {}", f.slice(), f.failures(), f.lastError()));
    return CompletableFuture.completedFuture(failing.isEmpty());
  }
}
