package io.rebound.core.handler;

import com.typesafe.config.Config;
import io.rebound.api.JobHandler;
import io.rebound.core.config.ReboundConfigException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Chooses each queue's handler: one passed in code wins; otherwise {@code handler.type} in the
 * queue's config names a built-in ({@code simulated}, {@code java}) or one a node adds.
 */
public final class Handlers {
  private final Map<String, Function<Config, JobHandler>> factories = new HashMap<>();

  public Handlers() {
    factories.put("simulated", c -> new SimulatedHandler());
    factories.put("java", Handlers::javaClass);
  }

  /** Adds a handler type (the node adds http and process). */
  public Handlers with(String type, Function<Config, JobHandler> factory) {
    factories.put(type, factory);
    return this;
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
