package io.rebound.spring;

import io.rebound.core.Rebound;
import java.time.Duration;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The {@code rebound} health component, where the app has Actuator ({@code management.health.rebound.enabled}). */
@AutoConfiguration(after = ReboundAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnBean(Rebound.class)
@ConditionalOnEnabledHealthIndicator("rebound")
public class ReboundHealthAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean(name = "reboundHealthIndicator")
  public ReboundHealthIndicator reboundHealthIndicator(Rebound rebound) {
    return new ReboundHealthIndicator(new ReboundReadiness(rebound, Duration.ofSeconds(5)), rebound.queues().keySet());
  }
}
