package io.rebound.server.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which checks /alive and /ready run: a database restart must not get every node restarted. */
class HealthChecksTest {
  private final Config checks = ConfigFactory.load().getConfig("pekko.management.health-checks");

  @Test
  void livenessDoesNotPingTheDatabase() {
    Set<String> alive = checks.getConfig("liveness-checks").root().keySet();
    assertTrue(checks.getConfig("liveness-checks").root().values().stream()
        .noneMatch(v -> String.valueOf(v.unwrapped()).equals(JournalHealthCheck.class.getName())), "liveness: " + alive);
  }

  @Test
  void readinessChecksTheJournalAndTheIndexProjections() {
    Config ready = checks.getConfig("readiness-checks");
    assertEquals(JournalHealthCheck.class.getName(), ready.getString("rebound-journal"));
    assertEquals(IndexHealthCheck.class.getName(), ready.getString("rebound-index"));
  }
}
