package io.rebound.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The effective {@code rebound.*} settings of a node and of each of its queues and tools, each with
 * where it came from; secrets are shown as {@code <set>}. What {@code rebound config show} prints and
 * {@code GET /v1/config} returns.
 */
public final class EffectiveSettings {
  /** How a secret that has a value is shown. */
  public static final String SECRET = "<set>";
  private static final ConfigRenderOptions CONCISE = ConfigRenderOptions.concise();
  private static final Pattern SECRET_NAME = Pattern.compile(".*(password|passphrase|token|secret|authorization|api-?key|credential).*");
  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");

  /**
   * One setting.
   *
   * @param key the full path, e.g. {@code rebound.queues.emails.retry.max-attempts}
   * @param value the value as HOCON, or {@code <set>} for a secret
   * @param origin {@code default}, {@code conf/application.conf:12}, {@code /etc/node.conf:3},
   *     {@code environment variable REBOUND_DATA_DIR}, ...
   */
  public record Setting(String key, String value, String origin) {
    /** {@code key = value  # origin} */
    public String line() {
      return key + " = " + value + "  # " + origin;
    }
  }

  private EffectiveSettings() {}

  /**
   * The settings of a resolved config: the node's (all of {@code rebound} but the queues and tools),
   * then each queue's over {@code queue-defaults}, then each tool's over {@code tool-defaults}.
   */
  public static List<Setting> of(Config resolved) {
    Config rebound = resolved.getConfig("rebound");
    List<Setting> out = new ArrayList<>();
    Config node = rebound.withoutPath("queues").withoutPath("tools").withoutPath("queue-defaults").withoutPath("tool-defaults");
    add(out, "rebound.", node);
    each(out, rebound, "queues", rebound.getConfig("queue-defaults"));
    each(out, rebound, "tools", rebound.getConfig("tool-defaults"));
    return List.copyOf(out);
  }

  private static void each(List<Setting> out, Config rebound, String section, Config defaults) {
    ConfigObject all = rebound.getObject(section);
    for (String name : new java.util.TreeSet<>(all.keySet())) {
      if (all.get(name) instanceof ConfigObject own) {
        add(out, "rebound." + section + "." + ConfigUtil.joinPath(name) + ".", own.toConfig().withFallback(defaults));
      }
    }
  }

  private static void add(List<Setting> out, String prefix, Config c) {
    Map<String, ConfigValue> sorted = new TreeMap<>();
    c.entrySet().forEach(e -> sorted.put(e.getKey(), e.getValue()));
    sorted.forEach((key, v) -> out.add(new Setting(prefix + key, render(key, v), origin(v.origin()))));
  }

  /** The value as HOCON, with secrets masked (also inside lists of objects, such as tokens). */
  static String render(String key, ConfigValue v) {
    List<String> path = ConfigUtil.splitPath(key);
    String name = path.get(path.size() - 1).toLowerCase(Locale.ROOT);
    if (v.valueType() == ConfigValueType.LIST) {
      List<String> items = new ArrayList<>();
      for (ConfigValue item : (ConfigList) v) {
        items.add(render(key, item));
      }
      return "[" + String.join(", ", items) + "]";
    }
    if (v.valueType() == ConfigValueType.OBJECT) {
      List<String> fields = new ArrayList<>();
      new TreeMap<>((ConfigObject) v).forEach((k, item) ->
          fields.add(ConfigUtil.joinPath(k) + " = " + render(ConfigUtil.joinPath(k), item)));
      return "{" + String.join(", ", fields) + "}";
    }
    // A process handler's environment, like an http handler's headers, is where credentials go.
    if (isSecret(name) || (path.contains("headers") && !name.equals("content-type")) || path.contains("environment")) {
      return v.valueType() == ConfigValueType.STRING && ((String) v.unwrapped()).isEmpty() ? "\"\"" : SECRET;
    }
    return switch (v.valueType()) {
      case STRING -> URL_PASSWORD.matcher(v.render(CONCISE)).replaceAll("$1" + SECRET);
      default -> v.render(CONCISE);
    };
  }

  /** A password, token, secret or key; a file naming one is not itself secret. */
  static boolean isSecret(String name) {
    return SECRET_NAME.matcher(name).matches() && !name.endsWith("-file") && !name.endsWith("-files");
  }

  /**
   * Where a value came from: {@code default} (a reference.conf or Rebound's Pekko settings), {@code
   * conf/application.conf:LINE}, {@code FILE:LINE}, {@code environment variable NAME}, or Typesafe
   * Config's own description.
   */
  public static String origin(ConfigOrigin o) {
    String description = o.description();
    if (description.startsWith(Environment.ORIGIN)) {
      return description;
    }
    if (description.startsWith("env variables")) {
      return "environment variable";
    }
    String line = o.lineNumber() > 0 ? ":" + o.lineNumber() : "";
    if (o.resource() != null) {
      return switch (o.resource()) {
        case "reference.conf", "rebound-pekko.conf" -> "default";
        case "application.conf" -> "conf/application.conf" + line;
        default -> o.resource() + line;
      };
    }
    if (o.filename() != null) {
      return o.filename() + line;
    }
    if (description.startsWith("system properties")) {
      return "system property";
    }
    return description;
  }
}
