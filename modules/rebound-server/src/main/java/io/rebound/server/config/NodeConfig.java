package io.rebound.server.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.Rebound;
import io.rebound.core.config.ConfigProblem;
import io.rebound.core.config.EffectiveConfig;
import io.rebound.core.config.EffectiveSettings;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.config.ReboundSettings;
import io.rebound.core.index.IndexSettings;
import io.rebound.core.metrics.MetricsSettings;
import io.rebound.core.schedule.ScheduleSettings;
import io.rebound.server.node.ConfigLoader;
import io.rebound.server.node.NodeServer;
import io.rebound.server.security.RateLimitSettings;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node's config as {@code rebound config check} and {@code rebound config show} see it: loaded as
 * {@code rebound start} loads it, checked without starting anything (no database, no ports).
 */
public final class NodeConfig {
  private NodeConfig() {}

  /**
   * The config {@code rebound start --config FILE} runs with, resolved: environment overrides,
   * system properties, FILE, conf/application.conf, every reference.conf.
   *
   * @param file the {@code --config} file, or null
   * @param env the environment variables
   * @throws ReboundConfigException when the file is missing or not HOCON
   */
  public static Config load(Path file, Map<String, String> env) {
    Config loaded = ConfigLoader.load(file, ConfigFactory.parseResources("application.conf"), env);
    try {
      return EffectiveConfig.resolve(loaded, env);
    } catch (ConfigException e) {
      throw new ReboundConfigException(file == null ? "conf/application.conf" : file.toString(), e.getMessage());
    }
  }

  /**
   * Every problem of a resolved config, one per key: unknown keys (all of them), values of the wrong
   * type (all of them), then the first wrong value each settings reader finds. Handlers, probes,
   * token files, keystores and encryption keys are not created or read: they may need classes,
   * files or directories of the machine that runs the node.
   */
  public static List<ConfigProblem> problems(Config resolved) {
    return problems(resolved, Set.of());
  }

  /** As {@link #problems(Config)}, for a node whose given queues have handlers passed in code. */
  public static List<ConfigProblem> problems(Config resolved, Set<String> handlersInCode) {
    Set<ConfigProblem> out = new LinkedHashSet<>(
        Rebound.configCheck(NodeServer.handlerTypes()).withHandlersInCode(handlersInCode).problems(resolved));
    try {
      resolved.checkValid(ConfigFactory.defaultReference(), "rebound");
    } catch (ConfigException.ValidationFailed e) {
      e.problems().forEach(p -> out.add(new ConfigProblem(p.path(), p.problem())));
    }
    read(out, () -> ReboundSettings.from(resolved));
    read(out, () -> IndexSettings.from(resolved));
    read(out, () -> MetricsSettings.from(resolved));
    read(out, () -> RateLimitSettings.from(resolved));
    read(out, () -> ScheduleSettings.from(resolved, ReboundSettings.from(resolved).queues().keySet()));
    return List.copyOf(out);
  }

  /** The effective settings with their origins, secrets masked. */
  public static List<EffectiveSettings.Setting> settings(Config resolved) {
    return EffectiveSettings.of(resolved);
  }

  private static void read(Set<ConfigProblem> out, Runnable reader) {
    try {
      reader.run();
    } catch (ReboundConfigException e) {
      out.add(new ConfigProblem(e.key(), e.getMessage().substring(Math.min(e.getMessage().length(), e.key().length() + 2))));
    } catch (ConfigException e) {
      out.add(new ConfigProblem(e.origin() == null ? "rebound" : e.origin().description(), e.getMessage()));
    }
  }
}
