package io.rebound.core.tools;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's view of its tools, written by the {@link ToolSupervisor} and read by items before
 * each attempt without a round trip: a map, not an actor.
 */
public final class ToolHealth {
  private final Map<String, ToolView> views = new ConcurrentHashMap<>();

  public ToolHealth(Collection<String> tools) {
    Instant now = Instant.now();
    tools.forEach(t -> views.put(t, new ToolView(t, ToolState.UNKNOWN, now, null, false)));
  }

  /** The tools among these that are down now. */
  public List<String> down(List<String> tools) {
    List<String> down = new ArrayList<>();
    for (String t : tools) {
      ToolView v = views.get(t);
      if (v != null && v.isDown()) {
        down.add(t);
      }
    }
    return down;
  }

  public boolean isUp(String tool) {
    ToolView v = views.get(tool);
    return v != null && v.state() == ToolState.UP;
  }

  public boolean knows(String tool) {
    return views.containsKey(tool);
  }

  public List<ToolView> all() {
    return views.values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
  }

  public ToolView get(String tool) {
    return views.get(tool);
  }

  void put(ToolView view) {
    views.put(view.name(), view);
  }
}
