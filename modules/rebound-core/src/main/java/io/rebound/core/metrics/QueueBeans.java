package io.rebound.core.metrics;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers one {@link QueueMXBean} per queue on the platform MBeanServer and unregisters them.
 * Several nodes may live in one JVM (tests): a newer node replaces an older node's bean of the
 * same name, and a node only unregisters the beans that are still its own (their {@code Node}
 * attribute names it).
 */
final class QueueBeans implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(QueueBeans.class);
  /** Registration and the check-then-unregister of close are one step for all nodes of the JVM. */
  private static final Object LOCK = new Object();

  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private final String node;
  private final List<ObjectName> names = new ArrayList<>();

  private QueueBeans(String node) {
    this.node = node;
  }

  static QueueBeans register(
      Collection<String> queues, String node, Supplier<MetricsSnapshot> snapshot, QueueControl control, Duration timeout) {
    QueueBeans beans = new QueueBeans(node);
    for (String queue : queues) {
      beans.register(name(queue), new QueueBean(queue, node, snapshot, control, timeout));
    }
    return beans;
  }

  /** {@code io.rebound:type=Queue,name=<queue>}, the name quoted only when it must be. */
  static ObjectName name(String queue) {
    boolean plain = queue.chars().noneMatch(c -> ",=:\"*?\n\\".indexOf(c) >= 0);
    try {
      return new ObjectName("io.rebound:type=Queue,name=" + (plain ? queue : ObjectName.quote(queue)));
    } catch (MalformedObjectNameException e) {
      throw new IllegalArgumentException("queue name " + queue + " makes no JMX name", e);
    }
  }

  private void register(ObjectName name, QueueBean bean) {
    synchronized (LOCK) {
      try {
        if (server.isRegistered(name)) {
          LOG.info("Replacing the MBean {} of node {} with this node's ({})", name, nodeOf(name), node);
          server.unregisterMBean(name);
        }
        server.registerMBean(bean, name);
        names.add(name);
      } catch (JMException e) {
        LOG.warn("Cannot register the MBean {}: {}", name, e.toString());
      }
    }
  }

  /** Unregisters this node's beans; one another node has since replaced stays. */
  @Override
  public void close() {
    synchronized (LOCK) {
      for (ObjectName name : names) {
        try {
          if (server.isRegistered(name) && node.equals(nodeOf(name))) {
            server.unregisterMBean(name);
          }
        } catch (JMException e) {
          LOG.warn("Cannot unregister the MBean {}: {}", name, e.toString());
        }
      }
      names.clear();
    }
  }

  private Object nodeOf(ObjectName name) {
    try {
      return server.getAttribute(name, "Node");
    } catch (JMException e) {
      return null; // not one of ours (another library's bean under the same name)
    }
  }
}
