package io.rebound.core.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;

/**
 * The relay's meters in the node's registry (docs/METRICS.md). Registered on every node; they
 * move only on the node where the relay runs.
 */
public final class OutboxMeters {
  private final Counter relayed;
  private final Counter bad;
  private volatile double lagSeconds;

  public OutboxMeters(MeterRegistry registry) {
    relayed = Counter.builder("rebound.outbox.rows").tag("outcome", "relayed")
        .description("Rows of rebound_outbox made into items (or found to have made one) and deleted").register(registry);
    bad = Counter.builder("rebound.outbox.rows").tag("outcome", "bad")
        .description("Rows of rebound_outbox that can never become items, left with their error").register(registry);
    Gauge.builder("rebound.outbox.lag", this, m -> m.lagSeconds)
        .description("Age of the oldest committed row the relay's last pass read; 0 when it found none")
        .baseUnit("seconds").register(registry);
  }

  void passed(RelayPass.Result r, Instant now) {
    relayed.increment(r.relayed());
    bad.increment(r.bad());
    lagSeconds = r.oldest() == null ? 0 : Math.max(0, Duration.between(r.oldest(), now).toMillis() / 1000.0);
  }
}
