package io.rebound.api;

import java.util.List;

/** A tool the handler needs is down: the item is parked without burning an attempt. */
public class ToolUnavailableException extends RuntimeException {
  private final List<String> tools;

  public ToolUnavailableException(String message, List<String> tools) {
    super(message);
    this.tools = List.copyOf(tools);
  }

  public ToolUnavailableException(String message) {
    this(message, List.of());
  }

  /** The names of the tools that were missing; may be empty when the handler cannot tell. */
  public List<String> tools() {
    return tools;
  }
}
