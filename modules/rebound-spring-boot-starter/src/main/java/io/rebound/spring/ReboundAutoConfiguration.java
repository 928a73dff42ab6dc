package io.rebound.spring;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.rebound.api.JobHandler;
import io.rebound.core.Rebound;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jdbc.JdbcConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * An embedded Rebound node as the bean {@value #BEAN}: config from the Spring properties under
 * {@code rebound.*} (and {@code pekko.*}), handlers from the {@link ReboundHandler} beans, the
 * app's PostgreSQL DataSource as its database, its meters in the app's MeterRegistry; it stops
 * with the context, letting running attempts finish ({@code rebound.shutdown-timeout}).
 *
 * <p>Off with {@code rebound.spring.enabled=false}; a Rebound bean of your own replaces it.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnProperty(prefix = SpringProperties.STARTER_PREFIX, name = "enabled", havingValue = "true", matchIfMissing = true)
public class ReboundAutoConfiguration {
  /**
   * Under the app's properties: the context's close stops the node (after the web server stopped
   * taking requests), not Pekko's own JVM shutdown hook racing it on SIGTERM.
   */
  static final Config SPRING_DEFAULTS = ConfigFactory.parseString("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off");

  /** The node's bean name. */
  public static final String BEAN = "rebound";

  /**
   * Starts the node (blocking until it can take items). The context's close calls {@link
   * Rebound#close()}: no new attempts start, running ones get {@code rebound.shutdown-timeout} to
   * finish, and the handler beans are destroyed only after that.
   */
  @Bean(name = BEAN, destroyMethod = "close")
  @ConditionalOnMissingBean(Rebound.class)
  public Rebound rebound(ConfigurableEnvironment env, ConfigurableListableBeanFactory beans,
      ObjectProvider<JdbcConnectionDetails> jdbc, ObjectProvider<MeterRegistry> meterRegistry,
      ObjectProvider<ReboundConfigCustomizer> customizers) {
    Map<String, JobHandler> handlers = HandlerBeans.collect(beans, BEAN);
    Config config = config(env, handlers, jdbc.getIfAvailable());
    for (ReboundConfigCustomizer c : customizers.orderedStream().toList()) {
      config = c.customize(config);
    }
    Rebound rebound = Rebound.start(config, handlers);
    try {
      MeterRegistry registry = meterRegistry.getIfUnique();
      if (registry != null && env.getProperty(SpringProperties.STARTER_PREFIX + ".metrics.enabled", Boolean.class, true)) {
        MeterBinding.bind(rebound, registry);
      }
      return rebound;
    } catch (RuntimeException e) {
      rebound.close();
      throw e;
    }
  }

  /** The config the node starts with: the properties, a queue for each handler bean, the app's PostgreSQL. */
  static Config config(ConfigurableEnvironment env, Map<String, JobHandler> handlers, JdbcConnectionDetails jdbc) {
    Config config = HandlerBeans.withQueues(SpringProperties.toConfig(env), handlers.keySet()).withFallback(SPRING_DEFAULTS);
    if (jdbc != null && env.getProperty(SpringProperties.STARTER_PREFIX + ".use-datasource", Boolean.class, true)) {
      config = SpringDataSource.apply(config, jdbc.getJdbcUrl(), jdbc.getUsername(), jdbc.getPassword());
    }
    return config;
  }
}
