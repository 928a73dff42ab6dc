package io.rebound.bench;

import io.rebound.api.ToolProbe;

/** The backlog bench's tool (probe type java): down until the bench brings it up. */
public final class BenchTool implements ToolProbe {
  static volatile boolean up;

  @Override
  public void check() {
    if (!up) {
      throw new IllegalStateException("the bench keeps this tool down");
    }
  }
}
