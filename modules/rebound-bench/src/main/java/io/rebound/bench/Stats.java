package io.rebound.bench;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The small statistics the comparison prints: medians, nearest-rank percentiles, ratios. */
public final class Stats {
  private Stats() {}

  /** The median of the values a function reads from each element, NaN ones left out. */
  public static <T> double median(List<T> items, ToDoubleFunction<T> f) {
    return median(items.stream().mapToDouble(f).toArray());
  }

  /** The median, NaN values left out; NaN when none is left. */
  public static double median(double[] values) {
    double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
    int k = v.length;
    if (k == 0) {
      return Double.NaN;
    }
    return k % 2 == 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
  }

  /**
   * The nearest-rank percentile of sorted values (q in 0..1): a value that was observed, so that
   * p99 of 100 latencies is the 99th and never an interpolation between two.
   */
  public static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** a / b, or NaN when either is missing or b is zero (a ratio of nothing is not infinity). */
  public static double ratio(double a, double b) {
    if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
      return Double.NaN;
    }
    return a / b;
  }
}
