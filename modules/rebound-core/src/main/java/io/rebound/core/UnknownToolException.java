package io.rebound.core;

/** No tool of this name is configured on this node. */
public class UnknownToolException extends RuntimeException {
  public UnknownToolException(String tool) {
    super("no tool named '" + tool + "'");
  }
}
