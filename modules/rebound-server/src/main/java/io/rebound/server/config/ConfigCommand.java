package io.rebound.server.config;

import com.typesafe.config.Config;
import io.rebound.core.config.ConfigProblem;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rebound config check|show}: the node's configuration, without starting a node. */
@Command(name = "config", mixinStandardHelpOptions = true,
    description = "Check or show the node's configuration (conf/application.conf, --config FILE, environment) without starting a node.",
    subcommands = {ConfigCommand.Check.class, ConfigCommand.Show.class})
public final class ConfigCommand implements Runnable {

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** {@code rebound config check}: every problem, one per line; exit 1 when there is one. */
  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Validate the config as `rebound start` would load it: unknown keys, wrong types, bad values.",
          "Prints every problem, one per line, and exits 1 when there is one; no database, no ports."})
  public static final class Check implements Callable<Integer> {
    @Option(names = "--config", description = "A config file layered over conf/application.conf.")
    Path config;

    @Override
    public Integer call() {
      Config resolved = NodeConfig.load(config, System.getenv());
      List<ConfigProblem> problems = NodeConfig.problems(resolved);
      problems.forEach(p -> System.out.println(p.line()));
      if (!problems.isEmpty()) {
        return 1;
      }
      System.out.println("config ok: queues " + resolved.getObject("rebound.queues").keySet()
          + ", tools " + resolved.getObject("rebound.tools").keySet());
      return 0;
    }
  }

  /** {@code rebound config show}: the effective settings, each with its origin. */
  @Command(name = "show", mixinStandardHelpOptions = true,
      description = {"Print the effective settings of the node and of each queue and tool, each with where it came from",
          "(default, conf/application.conf:LINE, the --config file with its line, environment variable NAME); secrets as <set>."})
  public static final class Show implements Callable<Integer> {
    @Option(names = "--config", description = "A config file layered over conf/application.conf.")
    Path config;

    @Override
    public Integer call() {
      NodeConfig.settings(NodeConfig.load(config, System.getenv())).forEach(s -> System.out.println(s.line()));
      return 0;
    }
  }
}
