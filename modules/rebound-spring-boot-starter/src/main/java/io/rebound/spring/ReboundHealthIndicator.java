package io.rebound.spring;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * Actuator's {@code rebound} health component: UP when the node is ready ({@link
 * ReboundReadiness}), DOWN with the reason otherwise; details name the checks and the queues.
 */
public class ReboundHealthIndicator implements HealthIndicator {
  private final ReboundReadiness readiness;
  private final java.util.Set<String> queues;

  public ReboundHealthIndicator(ReboundReadiness readiness, java.util.Set<String> queues) {
    this.readiness = readiness;
    this.queues = java.util.Set.copyOf(queues);
  }

  @Override
  public Health health() {
    ReboundReadiness.Report r = readiness.check();
    Health.Builder b = r.ready() ? Health.up() : Health.down().withDetail("error", r.error());
    return b.withDetail("member", r.member())
        .withDetail("sharding", r.sharding() ? "registered" : "not registered")
        .withDetail("journal", r.journal() ? "answers" : "does not answer")
        .withDetail("failingIndexSlices", r.failingIndexSlices().stream().map(f -> f.slice()).toList())
        .withDetail("queues", new java.util.TreeSet<>(queues))
        .build();
  }
}
