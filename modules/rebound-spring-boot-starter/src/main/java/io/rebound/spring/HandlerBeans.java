package io.rebound.spring;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueFactory;
import io.rebound.api.JobHandler;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;

/** The {@link ReboundHandler} beans of a context, by queue. */
final class HandlerBeans {
  private HandlerBeans() {}

  /**
   * Every bean annotated {@code @ReboundHandler} (its class or its {@code @Bean} method), by
   * queue. Each is registered as a dependency of {@code dependent}, so that the context destroys
   * the node (draining running attempts) before the handlers those attempts run in.
   *
   * @throws IllegalStateException when such a bean is not a JobHandler, or two handle one queue
   */
  static Map<String, JobHandler> collect(ConfigurableListableBeanFactory beans, String dependent) {
    Map<String, JobHandler> handlers = new TreeMap<>();
    Map<String, String> beanOfQueue = new LinkedHashMap<>();
    for (String name : beans.getBeanNamesForAnnotation(ReboundHandler.class)) {
      ReboundHandler annotation = beans.findAnnotationOnBean(name, ReboundHandler.class);
      String queue = annotation.value();
      Object bean = beans.getBean(name);
      if (!(bean instanceof JobHandler handler)) {
        throw new IllegalStateException("bean '" + name + "' is annotated @ReboundHandler(\"" + queue
            + "\") but is not a " + JobHandler.class.getName() + " (it is a " + bean.getClass().getName() + ")");
      }
      if (queue.isBlank()) {
        throw new IllegalStateException("bean '" + name + "' is annotated @ReboundHandler with no queue name");
      }
      String other = beanOfQueue.putIfAbsent(queue, name);
      if (other != null) {
        throw new IllegalStateException("two beans handle queue '" + queue + "': '" + other + "' and '" + name + "'");
      }
      handlers.put(queue, handler);
      if (dependent != null) {
        beans.registerDependentBean(name, dependent);
      }
    }
    return handlers;
  }

  /** The config with {@code rebound.queues.<q> {}} (the queue defaults) for each handler's queue it does not configure. */
  static Config withQueues(Config config, Collection<String> queues) {
    Config out = config;
    for (String q : queues) {
      String path = "rebound.queues." + ConfigUtil.joinPath(q);
      if (!out.hasPathOrNull(path)) {
        out = out.withValue(path, ConfigValueFactory.fromMap(Map.of(), "@ReboundHandler(\"" + q + "\")"));
      }
    }
    return out;
  }
}
