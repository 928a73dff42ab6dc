package io.rebound.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Environment variables as config, each value's origin naming its variable ({@code environment
 * variable REBOUND_DATA_DIR}), so that {@code rebound config show} can say where a value came
 * from. Takes the variables as a map, so tests need not change the process environment.
 */
public final class Environment {
  static final String ORIGIN = "environment variable ";
  private static final String FORCE = "CONFIG_FORCE_";

  private Environment() {}

  /**
   * The variables, each a root key, for {@code ${?NAME}} substitutions (what Typesafe Config's own
   * environment fallback does).
   */
  public static Config variables(Map<String, String> env) {
    Map<String, ConfigValue> values = new HashMap<>();
    env.forEach((name, value) -> values.put(name, ConfigValueFactory.fromAnyRef(value, ORIGIN + name)));
    return ConfigValueFactory.fromMap(values).toConfig();
  }

  /**
   * The {@code CONFIG_FORCE_} variables as overrides, named as Typesafe Config names them: {@code
   * _} is a dot, {@code __} a dash, {@code ___} an underscore
   * ({@code CONFIG_FORCE_rebound_queues_demo_concurrency=4}).
   */
  public static Config overrides(Map<String, String> env) {
    Config out = ConfigFactory.empty();
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      if (e.getKey().startsWith(FORCE) && e.getKey().length() > FORCE.length()) {
        String path = ConfigUtil.joinPath(List.of(property(e.getKey()).split("\\.", -1)));
        out = out.withValue(path, ConfigValueFactory.fromAnyRef(e.getValue(), ORIGIN + e.getKey()));
      }
    }
    return out;
  }

  private static String property(String variable) {
    StringBuilder b = new StringBuilder();
    int underscores = 0;
    for (char c : (variable.substring(FORCE.length()) + "\0").toCharArray()) {
      if (c == '_') {
        underscores++;
        continue;
      }
      switch (underscores) {
        case 0 -> { }
        case 1 -> b.append('.');
        case 2 -> b.append('-');
        case 3 -> b.append('_');
        default -> throw new ConfigException.BadPath(variable, "environment variable contains an un-mapped number of underscores");
      }
      underscores = 0;
      if (c != '\0') {
        b.append(c);
      }
    }
    return b.toString();
  }
}
