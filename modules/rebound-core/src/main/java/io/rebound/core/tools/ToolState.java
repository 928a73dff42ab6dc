package io.rebound.core.tools;

/** What a node believes of a tool. */
public enum ToolState {
  /** Not probed yet: items are not held back for it. */
  UNKNOWN,
  UP,
  DOWN
}
