package io.rebound.spring;

import com.typesafe.config.Config;

/**
 * A bean that changes the config the starter passes to {@code Rebound.start}, after the Spring
 * properties were mapped: e.g. a HOCON file of your own, {@code ConfigFactory.parseResources("rebound.conf").withFallback(config)}.
 */
@FunctionalInterface
public interface ReboundConfigCustomizer {
  Config customize(Config config);
}
