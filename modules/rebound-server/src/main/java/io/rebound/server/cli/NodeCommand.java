package io.rebound.server.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command that talks to a running node over its HTTP API. */
abstract class NodeCommand implements Callable<Integer> {
  @Mixin NodeOptions node;

  @Spec CommandSpec spec;

  /** Standard output as it is when the command runs (tests swap it). */
  PrintStream out() {
    return System.out;
  }

  NodeClient client() {
    try {
      return new NodeClient(node.url, node.token);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--url': " + e.getMessage());
    }
  }

  @Override
  public final Integer call() throws Exception {
    NodeClient client = client();
    int code = run(client);
    out().flush();
    return code;
  }

  abstract int run(NodeClient client) throws Exception;
}
