package io.rebound.server;

import io.rebound.core.config.ReboundConfigException;
import io.rebound.server.demo.DemoCommand;
import io.rebound.server.node.StartCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rebound} command line. */
@Command(
    name = "rebound",
    mixinStandardHelpOptions = true,
    version = "rebound 0.1.0",
    description = "A durable retry queue on Apache Pekko.",
    subcommands = {
        StartCommand.class,
        io.rebound.server.node.MigrateCommand.class,
        io.rebound.server.config.ConfigCommand.class,
        DemoCommand.class,
        io.rebound.server.cli.EnqueueCommand.class,
        io.rebound.server.cli.StatusCommand.class,
        io.rebound.server.cli.HistoryCommand.class,
        io.rebound.server.cli.CancelCommand.class,
        io.rebound.server.cli.RedriveCommand.class,
        io.rebound.server.cli.QueuesCommand.class,
        io.rebound.server.cli.PauseCommand.class,
        io.rebound.server.cli.ResumeCommand.class,
        io.rebound.server.cli.RunBatchCommand.class,
        io.rebound.server.cli.ToolsCommand.class,
        io.rebound.server.cli.LsCommand.class,
        io.rebound.server.cli.StatsCommand.class,
        io.rebound.server.cli.DlqCommand.class,
        io.rebound.server.cli.ReplayCommand.class,
        io.rebound.server.cli.IndexCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command and returns its exit code; errors print one line. */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      String message = e instanceof ReboundConfigException ? "config error: " + e.getMessage() : e.getMessage();
      cmd.getErr().println("rebound: " + (message == null ? e.toString() : message));
      return 1;
    });
    cli.setParameterExceptionHandler((e, rest) -> {
      e.getCommandLine().getErr().println("rebound: " + e.getMessage() + " (see --help)");
      return 2;
    });
    return cli.execute(args);
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }
}
