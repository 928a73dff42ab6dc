package io.rebound.core.tools;

import java.time.Instant;

/**
 * A node's current view of one tool.
 *
 * @param since when it entered this state
 * @param lastError why it is down (the probe's error, or a handler's), null when up
 * @param breakerOpen whether its circuit breaker is open (too many failures of items that need it)
 */
public record ToolView(String name, ToolState state, Instant since, String lastError, boolean breakerOpen) {

  public boolean isDown() {
    return state == ToolState.DOWN;
  }
}
