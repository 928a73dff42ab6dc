package io.rebound.core.tools;

import java.util.Map;
import java.util.Set;

/** The probe types a tool's {@code probe} block may name, and the keys of each (see {@link Probes}). */
public final class ProbeTypes {
  private ProbeTypes() {}

  /**
   * Each type with the keys it reads besides those of {@code rebound.tool-defaults.probe} ({@code
   * type}, {@code interval}, {@code timeout}). A {@code java} probe is a class with a no-arg
   * constructor: it gets no config, so it has no keys here.
   */
  public static Map<String, Set<String>> keys() {
    return Map.of(
        "http", Set.of("url"),
        "tcp", Set.of("host", "port"),
        "java", Set.of("class"),
        "simulated", Set.of("down-after", "down-for"));
  }
}
