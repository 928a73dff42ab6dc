package io.rebound.core.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line is a
 * {@code # HELP}, a {@code # TYPE} or a sample {@code name{label="value",...} value [timestamp]}.
 */
public final class PrometheusText {
  private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
  private static final Pattern SAMPLE = Pattern.compile(
      "(" + NAME + ")(?:\\{((?:" + LABEL + ")(?:," + LABEL + ")*,?)?\\})? (\\S+)(?: -?[0-9]+)?");
  private static final Pattern ONE_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern TYPE = Pattern.compile("# TYPE " + NAME + " (counter|gauge|histogram|summary|untyped)");
  private static final Pattern HELP = Pattern.compile("# HELP " + NAME + "( .*)?");

  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = List.copyOf(samples);
  }

  /** Parses the text; any line that is not valid exposition format fails with the line. */
  public static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        if (!TYPE.matcher(line).matches() && !HELP.matcher(line).matches()) {
          throw new AssertionError("not a HELP or TYPE line: " + line);
        }
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("not a sample line: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = ONE_LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, value(m.group(3), line)));
    }
    return new PrometheusText(samples);
  }

  private static double value(String v, String line) {
    switch (v) {
      case "NaN":
        return Double.NaN;
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        try {
          return Double.parseDouble(v);
        } catch (NumberFormatException e) {
          throw new AssertionError("not a sample value in: " + line);
        }
    }
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The value of the sample with this name and exactly these labels. */
  public Optional<Double> value(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels)).map(Sample::value).findFirst();
  }
}
