package io.rebound.server.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.Environment;
import io.rebound.core.config.ReboundConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds a node's config: environment overrides ({@code CONFIG_FORCE_rebound_max__concurrency}
 * style, see Typesafe Config), then the {@code --config} file, then the given defaults, then every
 * module's reference.conf.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static Config load(Path file, Config defaults) {
    return load(file, defaults, System.getenv());
  }

  /** As {@link #load(Path, Config)}, with the given environment variables (for tests). */
  public static Config load(Path file, Config defaults, Map<String, String> env) {
    Config user = ConfigFactory.empty();
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new ReboundConfigException("--config", "no such file: " + file);
      }
      try {
        user = ConfigFactory.parseFile(file.toFile());
      } catch (com.typesafe.config.ConfigException e) {
        throw new ReboundConfigException("--config", e.getMessage());
      }
    }
    return Environment.overrides(env)
        .withFallback(ConfigFactory.systemProperties())
        .withFallback(user)
        .withFallback(defaults);
  }
}
