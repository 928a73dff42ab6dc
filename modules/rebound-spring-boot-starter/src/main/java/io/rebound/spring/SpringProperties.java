package io.rebound.spring;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.rebound.core.config.ReboundConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;

/**
 * The Spring Environment's {@code rebound.*} and {@code pekko.*} properties as a Typesafe Config,
 * for {@link io.rebound.core.Rebound#start}: what application.yml says under {@code rebound:} means
 * what the same keys mean in HOCON (docs/CONFIG.md).
 *
 * <p>Relaxed like Spring's own binding: a key Rebound knows may be written in camelCase or
 * snake_case ({@code maxAttempts}, {@code max_attempts}) and is read as its kebab-case name; names
 * you choose (queues, tools) are kept as written. {@code tools[0]} items, or one comma-separated
 * string where Rebound expects a list, become a list; an empty value where Rebound expects an
 * object ({@code emails: ""}, a queue with its defaults) an empty object (Spring drops an empty
 * yaml map). YAML reads an unquoted {@code on} as {@code true}: under {@code retry} it is read
 * back as {@code on}. Keys Rebound does not know are kept as written, so that its strict check reports
 * them by name. {@code rebound.spring.*} are the starter's own keys and are not passed on.
 */
public final class SpringProperties {
  /** The starter's own keys: not Rebound's. */
  public static final String STARTER_PREFIX = "rebound.spring";
  private static final List<String> PREFIXES = List.of("rebound.", "pekko.");
  private static final String QUEUE_SHAPE = "rebound.queue-defaults";
  private static final String TOOL_SHAPE = "rebound.tool-defaults";

  private SpringProperties() {}

  /** Every {@code rebound.*} and {@code pekko.*} property of the environment, highest precedence winning. */
  public static Config toConfig(ConfigurableEnvironment env) {
    List<PropertySource<?>> sources = new ArrayList<>();
    env.getPropertySources().forEach(sources::add);
    Collections.reverse(sources); // lowest precedence first: a later source overwrites
    // Per path, the properties of the one source that set it last: as in Spring's own binding, a
    // list set in a higher source replaces the whole list, not only the elements it names.
    Map<String, List<Property>> byPath = new LinkedHashMap<>();
    Map<String, String> sourceOf = new LinkedHashMap<>();
    for (PropertySource<?> source : sources) {
      if (!(source instanceof EnumerablePropertySource<?> e)) {
        continue;
      }
      for (String name : e.getPropertyNames()) {
        if (!wanted(name)) {
          continue;
        }
        Object raw = e.getProperty(name);
        Object value = raw instanceof String s ? env.resolvePlaceholders(s) : raw;
        Property p = property(name, value, source.getName());
        if (!source.getName().equals(sourceOf.put(p.path(), source.getName()))) {
          byPath.put(p.path(), new ArrayList<>());
        }
        byPath.get(p.path()).add(p);
      }
    }
    return toConfig(byPath.values().stream().flatMap(List::stream).toList());
  }

  /** The properties as a Config (each value's origin names its Spring property and source). */
  static Config toConfig(Iterable<Property> properties) {
    Config reference = ConfigFactory.defaultReference();
    Map<String, TreeMap<Integer, Property>> lists = new LinkedHashMap<>();
    Config out = ConfigFactory.empty();
    List<Property> leaves = new ArrayList<>();
    for (Property p : properties) {
      if (p.index() != null) {
        lists.computeIfAbsent(p.path(), k -> new TreeMap<>()).put(p.index(), p);
      } else if (p.value() instanceof String s && s.isEmpty() && p.objectExpected()) {
        // An empty yaml map is flattened to an empty string: it meant an object (a queue with its defaults).
        out = out.withFallback(single(p.path(), ConfigValueFactory.fromMap(Map.of(), p.origin())));
      } else {
        leaves.add(p);
      }
    }
    for (Property p : leaves) {
      Object value = p.value();
      if (value instanceof String s && isList(reference, p.shape())) {
        value = s.isBlank() ? List.of() : Arrays.stream(s.split(",")).map(String::trim).toList();
      }
      out = single(p.path(), ConfigValueFactory.fromAnyRef(value, p.origin())).withFallback(out);
    }
    for (Map.Entry<String, TreeMap<Integer, Property>> e : lists.entrySet()) {
      List<Object> values = e.getValue().values().stream().map(Property::value).toList();
      out = single(e.getKey(), ConfigValueFactory.fromIterable(values, e.getValue().firstEntry().getValue().origin())).withFallback(out);
    }
    return out;
  }

  /** One value at its path: merged by withFallback, since withValue trips over empty objects on the way. */
  private static Config single(String path, ConfigValue value) {
    return ConfigFactory.empty().withValue(path, value);
  }

  private static boolean wanted(String name) {
    if (name.equals(STARTER_PREFIX) || name.startsWith(STARTER_PREFIX + ".") || name.startsWith(STARTER_PREFIX + "[")) {
      return false;
    }
    return PREFIXES.stream().anyMatch(name::startsWith);
  }

  /**
   * One property: its HOCON path, its index when it is a list element, and the path of its
   * reference ({@code rebound.queue-defaults.retry.max-attempts} for a queue's), null where
   * reference.conf has none.
   */
  record Property(String path, Integer index, String shape, boolean objectExpected, Object value, String origin) {}

  /** Maps a Spring property name onto a HOCON path, kebab-casing the keys reference.conf knows. */
  static Property property(String name, Object value, String sourceName) {
    Config reference = ConfigFactory.defaultReference();
    List<String> elements = new ArrayList<>();
    Integer index = null;
    for (String element : elements(name)) {
      if (index != null) {
        throw new ReboundConfigException(name, "only a list of values is supported here, not a list of objects: write it in HOCON");
      }
      if (element.startsWith("[") && element.substring(1, element.length() - 1).chars().allMatch(Character::isDigit)
          && element.length() > 2) {
        index = Integer.parseInt(element.substring(1, element.length() - 1));
      } else {
        elements.add(element.startsWith("[") ? unquote(element.substring(1, element.length() - 1)) : element);
      }
    }
    List<String> keys = new ArrayList<>();
    String shape = null; // the reference path the next element is looked up in
    for (int i = 0; i < elements.size(); i++) {
      String element = elements.get(i);
      String key = element;
      if (i == 0) {
        shape = element;
      } else if (shape != null) {
        ConfigObject ref = object(reference, shape);
        if (ref != null && !ref.containsKey(element)) {
          key = known(ref, element);
        }
        shape = next(reference, shape, key);
      }
      keys.add(key);
    }
    String path = ConfigUtil.joinPath(keys);
    boolean objectExpected = shape != null && (object(reference, shape) != null);
    String origin = "Spring property " + name + (sourceName == null ? "" : " (" + sourceName + ")");
    return new Property(path, index, shape, objectExpected, value, origin);
  }

  /**
   * The key reference.conf spells for {@code element}: kebab-case, and YAML 1.1's reading of an
   * unquoted {@code on} as the boolean true ({@code retry.on}) undone.
   */
  private static String known(ConfigObject ref, String element) {
    String kebab = kebab(element);
    if (ref.containsKey(kebab)) {
      return kebab;
    }
    if (element.equals("true") && ref.containsKey("on")) {
      return "on";
    }
    if (element.equals("false") && ref.containsKey("off")) {
      return "off";
    }
    return element;
  }

  /** Where the element after {@code key} is described: a queue's keys are queue-defaults', and so on. */
  private static String next(Config reference, String shape, String key) {
    switch (shape) {
      case "rebound.queues":
        return QUEUE_SHAPE; // key is a queue's name
      case "rebound.tools":
        return TOOL_SHAPE;
      case QUEUE_SHAPE + ".retry.on":
        return QUEUE_SHAPE + ".retry"; // key is an error kind
      default:
        String child = shape + "." + ConfigUtil.joinPath(key);
        return reference.hasPathOrNull(child) ? child : null;
    }
  }

  private static ConfigObject object(Config reference, String shape) {
    if (shape.equals("rebound.queues") || shape.equals("rebound.tools")) {
      return null; // names, not keys
    }
    if (!reference.hasPathOrNull(shape)) {
      return null;
    }
    ConfigValue v = reference.getValue(shape);
    return v.valueType() == ConfigValueType.OBJECT ? (ConfigObject) v : null;
  }

  private static boolean isList(Config reference, String shape) {
    return shape != null && reference.hasPathOrNull(shape) && reference.getValue(shape).valueType() == ConfigValueType.LIST;
  }

  /** {@code a.b[0].c[key.with.dots]} as {@code a}, {@code b}, {@code [0]}, {@code c}, {@code [key.with.dots]}. */
  static List<String> elements(String name) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '.') {
        if (!current.isEmpty()) {
          out.add(current.toString());
        }
        current.setLength(0);
      } else if (c == '[') {
        if (!current.isEmpty()) {
          out.add(current.toString());
        }
        int end = name.indexOf(']', i);
        if (end < 0) {
          throw new ReboundConfigException(name, "unclosed [ in the property name");
        }
        out.add(name.substring(i, end + 1));
        current.setLength(0);
        i = end;
      } else {
        current.append(c);
      }
    }
    if (!current.isEmpty()) {
      out.add(current.toString());
    }
    return out;
  }

  private static String unquote(String s) {
    return s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))
        ? s.substring(1, s.length() - 1) : s;
  }

  /** {@code maxAttempts} and {@code max_attempts} as {@code max-attempts}. */
  static String kebab(String key) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0 && out.charAt(out.length() - 1) != '-') {
          out.append('-');
        }
        out.append(Character.toLowerCase(c));
      } else {
        out.append(c == '_' ? '-' : c);
      }
    }
    return out.toString().toLowerCase(Locale.ROOT);
  }
}
