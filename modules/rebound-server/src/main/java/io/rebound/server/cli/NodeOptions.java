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

  @Option(names = "--json", description = "Print the API's JSON as is, for scripts.")
  boolean json;
}
