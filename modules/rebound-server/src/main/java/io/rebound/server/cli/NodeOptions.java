package io.rebound.server.cli;

import picocli.CommandLine.Option;

/** The options every command that talks to a running node shares. */
public final class NodeOptions {
  @Option(
      names = "--url",
      paramLabel = "URL",
      defaultValue = "${env:REBOUND_URL:-http://127.0.0.1:8080}",
      description = "The node's HTTP API (default: env REBOUND_URL, else http://127.0.0.1:8080; now ${DEFAULT-VALUE}).")
  String url;

  // No ${DEFAULT-VALUE} in the description: --help must not print a token from the environment.
  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:REBOUND_TOKEN}",
      description = "Bearer token for a node with tokens configured (default: env REBOUND_TOKEN, which keeps it out of ps).")
  String token;

  @Option(names = "--json", description = "Print the API's JSON as is, for scripts.")
  boolean json;
}
