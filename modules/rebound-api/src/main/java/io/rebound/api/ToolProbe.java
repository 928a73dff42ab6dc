package io.rebound.api;

/**
 * A health check for a tool that handlers need, for {@code probe { type = java, class = "..." }}.
 * Runs on a blocking thread; return normally when the tool is usable, throw when it is not.
 * Needs a public no-arg constructor.
 */
@FunctionalInterface
public interface ToolProbe {
  void check() throws Exception;
}
