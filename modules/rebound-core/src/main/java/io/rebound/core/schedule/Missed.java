package io.rebound.core.schedule;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a schedule does with ticks it missed (the runner was down or moving; {@link Catchup} says which are missed). */
public enum Missed {
  /** The missed ticks make one item: the latest one's, or none when a tick on time runs anyway. */
  RUN_ONCE,
  /** Missed ticks make no item; the next tick on time does. */
  SKIP,
  /** Every missed tick makes its item, oldest first, at most {@code rebound.scheduler.run-all-max} of them (the latest). */
  RUN_ALL;

  /** The name in config: {@code run-once}, {@code skip}, {@code run-all}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** @throws IllegalArgumentException naming the known values */
  public static Missed parse(String text) {
    for (Missed m : values()) {
      if (m.configName().equals(text)) {
        return m;
      }
    }
    throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(Missed::configName)
        .collect(Collectors.joining(", ")) + ", was '" + text + "'");
  }
}
