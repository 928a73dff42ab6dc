package io.rebound.server.node;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code rebound start}: runs a node until SIGTERM or SIGINT, then shuts down gracefully. */
@Command(name = "start", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run a node: HTTP API, queues from conf/application.conf.",
        "Several nodes on one machine: --config conf/cluster-postgres.conf --port 25521 --http-port 8081 --management-port 7627."})
public final class StartCommand implements Callable<Integer> {

  @Option(names = "--config", description = "A config file layered over conf/application.conf.")
  Path config;

  @Mixin NodeOverrides overrides;

  @Override
  public Integer call() throws Exception {
    NodeServer node = NodeServer.start(overrides.over(ConfigLoader.load(config, ConfigFactory.parseResources("application.conf"))));
    System.out.println("Rebound node: HTTP API on " + node.url() + ", " + where(node) + ", queues " + node.rebound().queues().keySet());
    // Our own handler, so that a SIGTERM is a clean shutdown with exit code 0 rather than 143.
    CoordinatedShutdown cs = CoordinatedShutdown.get(Adapter.toClassic(node.rebound().system()));
    for (String signal : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(signal), s -> cs.runAll(CoordinatedShutdown.jvmExitReason()));
    }
    node.rebound().system().getWhenTerminated().toCompletableFuture().join();
    return 0;
  }

  /** Where the node keeps its items, and its cluster address when it has seed nodes. */
  private static String where(NodeServer node) {
    String url = node.rebound().settings().databaseUrl();
    String data = url.isBlank() ? "data in " + node.rebound().settings().dataDir() : "database " + url;
    var cluster = node.rebound().system().settings().config().getStringList("pekko.cluster.seed-nodes");
    return cluster.isEmpty() ? data : data + ", cluster member " + org.apache.pekko.cluster.typed.Cluster.get(node.rebound().system()).selfMember().address() + " (seeds " + cluster + ")";
  }
}
