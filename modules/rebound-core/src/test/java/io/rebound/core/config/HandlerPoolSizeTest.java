package io.rebound.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The handlers' thread pool is sized from rebound.max-concurrency, however that is set. */
class HandlerPoolSizeTest {
  private static final String POOL = "rebound.handler-dispatcher.thread-pool-executor.fixed-pool-size";

  private static int pool(String config, Map<String, String> env) {
    Config resolved = EffectiveConfig.resolve(ConfigFactory.parseString(config), env);
    return resolved.getInt(POOL);
  }

  @Test
  void byDefaultThePoolHasAThreadPerAttemptThatMayRun() {
    Config resolved = EffectiveConfig.resolve(ConfigFactory.empty(), Map.of());
    assertEquals(resolved.getInt("rebound.max-concurrency"), resolved.getInt(POOL));
  }

  @Test
  void thePoolFollowsMaxConcurrencySetInTheConfig() {
    assertEquals(200, pool("rebound.max-concurrency = 200", Map.of()));
    assertEquals(3, pool("rebound.max-concurrency = 3", Map.of()));
  }

  @Test
  void thePoolFollowsMaxConcurrencySetInTheEnvironment() {
    assertEquals(7, pool("", Map.of("REBOUND_MAX_CONCURRENCY", "7")));
  }

  @Test
  void aPoolSizeSetItselfWins() {
    assertEquals(10, pool("rebound.max-concurrency = 200\n" + POOL + " = 10", Map.of()));
  }
}
