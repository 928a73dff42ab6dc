package io.rebound.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigResolveOptions;
import java.util.Map;
import java.util.Set;

/**
 * The config a node runs with: yours, over Rebound's Pekko settings (rebound-pekko.conf), over
 * every reference.conf, with {@code ${?VAR}} substitutions taken from the given environment. Each
 * value keeps its origin: reference.conf, a file and line, or {@code environment variable NAME}.
 */
public final class EffectiveConfig {
  private static final ConfigResolveOptions NO_SYSTEM_ENV = ConfigResolveOptions.defaults().setUseSystemEnvironment(false);

  private EffectiveConfig() {}

  /** {@link #resolve(Config, Map)} with the process's environment. */
  public static Config resolve(Config config) {
    return resolve(config, System.getenv());
  }

  /**
   * @param config your config, unresolved or resolved
   * @param env the environment variables
   */
  public static Config resolve(Config config, Map<String, String> env) {
    Config vars = Environment.variables(env);
    // Resolved on its own first, as ConfigFactory.defaultReference() is (system properties over it).
    Config reference = ConfigFactory.systemProperties().withFallback(ConfigFactory.defaultReferenceUnresolved());
    Config resolvedReference = withoutVariables(reference.withFallback(vars).resolve(NO_SYSTEM_ENV), reference.root().keySet(), env.keySet());
    Config layered = config
        .withFallback(ConfigFactory.parseResources(EffectiveConfig.class.getClassLoader(), "rebound-pekko.conf"))
        .withFallback(resolvedReference);
    return withoutVariables(layered.withFallback(vars).resolve(NO_SYSTEM_ENV), layered.root().keySet(), env.keySet());
  }

  /** Drops the variables' root keys again, but for a key the config itself has. */
  private static Config withoutVariables(Config resolved, Set<String> keep, Set<String> vars) {
    ConfigObject root = resolved.root();
    for (String v : vars) {
      if (!keep.contains(v)) {
        root = root.withoutKey(v);
      }
    }
    return root.toConfig();
  }
}
