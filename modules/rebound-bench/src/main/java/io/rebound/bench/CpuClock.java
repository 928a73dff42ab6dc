package io.rebound.bench;

import java.lang.management.ManagementFactory;

/**
 * The process's CPU time in slices: the first slice starts at the JVM's start, so a cold run is
 * charged for the JVM's and the libraries' start-up, as a user's first items after a deploy are.
 */
public final class CpuClock {
  private long last;

  /** CPU nanoseconds since the previous call (since the JVM started, the first time); -1 if unknown. */
  public long sinceLast() {
    if (!(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)) {
      return -1;
    }
    long now = os.getProcessCpuTime();
    long slice = now - last;
    last = now;
    return slice;
  }

  public static double msPerItem(long cpuNanos, int items) {
    return cpuNanos < 0 || items <= 0 ? Double.NaN : cpuNanos / 1e6 / items;
  }
}
