package io.rebound.core.handler;

import com.typesafe.config.Config;
import io.rebound.api.JobHandler;
import io.rebound.core.config.ConfigCheck;
import io.rebound.core.config.ReboundConfigException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Chooses each queue's handler: one passed in code wins; otherwise {@code handler.type} in the
 * queue's config names a built-in ({@code simulated}, {@code java}) or one a node adds.
 */
public final class Handlers {
  private final Map<String, Function<Config, JobHandler>> factories = new HashMap<>();
  private final Map<String, Set<String>> keys = new HashMap<>();

  public Handlers() {
    with("simulated", Set.of(), c -> new SimulatedHandler());
    with("java", Set.of("class"), Handlers::javaClass);
  }

  /**
   * Adds a handler type whose factory reads keys of its own that Rebound does not know: any key in
   * its {@code handler} block passes the config check.
   */
  public Handlers with(String type, Function<Config, JobHandler> factory) {
    return with(type, ConfigCheck.ANY_KEY, factory);
  }

  /**
   * Adds a handler type (the node adds http and process).
   *
   * @param keys the keys its {@code handler} block may hold besides {@code type}; any other is an
   *     error at start ({@link ConfigCheck#ANY_KEY}: not checked)
   */
  public Handlers with(String type, Set<String> keys, Function<Config, JobHandler> factory) {
    factories.put(type, factory);
    this.keys.put(type, Set.copyOf(keys));
    return this;
  }

  /** The handler types, each with the keys its block may hold besides {@code type}. */
  public Map<String, Set<String>> keys() {
    return Map.copyOf(keys);
  }

  /**
   * @param given handlers passed in code, by queue
   * @param configs each queue's {@code handler} block
   */
  public Map<String, JobHandler> resolve(Map<String, JobHandler> given, Map<String, Config> configs) {
    Map<String, JobHandler> out = new HashMap<>();
    configs.forEach((queue, c) -> {
      String key = "rebound.queues." + queue + ".handler";
      if (given.containsKey(queue)) {
        out.put(queue, given.get(queue));
        return;
      }
      if (!c.hasPath("type")) {
        throw new ReboundConfigException(key + ".type", "no handler was passed for queue '" + queue + "' and none is configured (" + String.join(", ", factories.keySet()) + ")");
      }
      String type = c.getString("type");
      Function<Config, JobHandler> f = factories.get(type);
      if (f == null) {
        throw new ReboundConfigException(key + ".type", "unknown handler type '" + type + "' (known: " + String.join(", ", factories.keySet()) + ")");
      }
      try {
        out.put(queue, f.apply(c));
      } catch (ReboundConfigException e) {
        throw new ReboundConfigException(key + "." + e.key(), e.getMessage().substring(e.key().length() + 2));
      } catch (RuntimeException e) {
        throw new ReboundConfigException(key, e.getMessage());
      }
    });
    given.keySet().stream()
        .filter(q -> !configs.containsKey(q))
        .findFirst()
        .ifPresent(q -> {
          throw new ReboundConfigException("rebound.queues." + q, "a handler was passed for queue '" + q + "' but the queue is not configured");
        });
    return Map.copyOf(out);
  }

  /** {@code handler { type = java, class = "com.example.MyHandler" }}: a public no-arg constructor. */
  private static JobHandler javaClass(Config c) {
    if (!c.hasPath("class")) {
      throw new ReboundConfigException("class", "the java handler needs the name of a class implementing JobHandler");
    }
    String name = c.getString("class");
    try {
      Class<?> cls = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
      if (!JobHandler.class.isAssignableFrom(cls)) {
        throw new ReboundConfigException("class", name + " does not implement io.rebound.api.JobHandler");
      }
      return (JobHandler) cls.getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new ReboundConfigException("class", "class " + name + " is not on the classpath");
    } catch (ReflectiveOperationException e) {
      throw new ReboundConfigException("class", "cannot create " + name + " with a public no-arg constructor: " + e);
    }
  }
}
