package io.rebound.server.cli;

/**
 * A failure the CLI reports as one line ({@code rebound: <message>}) with exit code 1: Main's
 * execution-exception handler prints the message. The message never spans lines.
 */
public final class CliException extends RuntimeException {
  public CliException(String message) {
    super(Format.oneLine(message));
  }
}
