package io.rebound.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.rebound.api.ErrorKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict keys under {@code rebound}: every key a config sets must be one reference.conf knows. The
 * known keys are read from the reference config at run time, so a key another module adds to its
 * reference.conf is known at once. The shapes reference.conf cannot tell are described here:
 *
 * <ul>
 *   <li>each {@code rebound.queues.<q>} has the keys of {@code rebound.queue-defaults}, each
 *       {@code rebound.tools.<t>} those of {@code rebound.tool-defaults}, each {@code
 *       rebound.schedules.<s>} those of {@code rebound.schedule-defaults} (its {@code payload} is open);
 *   <li>{@code retry.on.<kind>} names an error kind and holds the keys of {@code retry} (but {@code on});
 *   <li>a {@code handler} block has {@code type} and the keys of that handler type, a tool's
 *       {@code probe} block the keys of {@code tool-defaults.probe} and those of its probe type
 *       ({@link #withHandlerTypes}, {@link #withProbeTypes}); a type registered with {@link
 *       #ANY_KEY} reads its own config, so its keys are not checked;
 *   <li>Pekko dispatcher sections (an object with an {@code executor}) hold Pekko's keys, and an
 *       object reference.conf leaves empty without a rule here is open: neither is checked.
 * </ul>
 *
 * <p>Keys outside {@code rebound} ({@code pekko.*} and the rest) are not checked. Values are not
 * checked here either: {@link ReboundSettings} and the other settings readers do that.
 */
public final class ConfigCheck {
  /** The keys of a type that reads its own config: any key passes. */
  public static final Set<String> ANY_KEY = Set.of("*");

  private static final String QUEUE = "rebound.queue-defaults";
  private static final String TOOL = "rebound.tool-defaults";
  private static final String SCHEDULE = "rebound.schedule-defaults";

  /** The reference's {@code rebound} section. */
  private final ConfigObject reference;
  private final Map<String, Set<String>> handlerTypes;
  private final Map<String, Set<String>> probeTypes;
  private final Set<String> handlersInCode;

  private ConfigCheck(ConfigObject reference, Map<String, Set<String>> handlerTypes, Map<String, Set<String>> probeTypes,
      Set<String> handlersInCode) {
    this.reference = reference;
    this.handlerTypes = Map.copyOf(handlerTypes);
    this.probeTypes = Map.copyOf(probeTypes);
    this.handlersInCode = Set.copyOf(handlersInCode);
  }

  /** A check against the keys of {@code reference} (a resolved config, e.g. every reference.conf). */
  public static ConfigCheck against(Config reference) {
    return new ConfigCheck(reference.getObject("rebound"), Map.of(), Map.of(), Set.of());
  }

  /** The handler types a {@code handler} block may name, each with its keys (besides {@code type}). */
  public ConfigCheck withHandlerTypes(Map<String, Set<String>> types) {
    return new ConfigCheck(reference, types, probeTypes, handlersInCode);
  }

  /** The probe types a tool's {@code probe} block may name, each with its keys (besides those of tool-defaults.probe). */
  public ConfigCheck withProbeTypes(Map<String, Set<String>> types) {
    return new ConfigCheck(reference, handlerTypes, types, handlersInCode);
  }

  /** Queues whose handler is passed in code: their {@code handler} block is not read, so not checked. */
  public ConfigCheck withHandlersInCode(Set<String> queues) {
    return new ConfigCheck(reference, handlerTypes, probeTypes, queues);
  }

  /** Every problem with the keys of {@code config} (resolved, or at least parsed), in path order. */
  public List<ConfigProblem> problems(Config config) {
    List<ConfigProblem> out = new ArrayList<>();
    if (config.root().get("rebound") instanceof ConfigObject rebound) {
      new Walk(config, out).section(rebound, reference, "rebound", "rebound", null);
    }
    return List.copyOf(out);
  }

  /**
   * Fails on the first problem.
   *
   * @throws ReboundConfigException naming the key
   */
  public void enforce(Config config) {
    List<ConfigProblem> problems = problems(config);
    if (!problems.isEmpty()) {
      throw problems.get(0).toException();
    }
  }

  /** One walk over a config, collecting problems. */
  private final class Walk {
    private final Config config;
    private final List<ConfigProblem> out;

    Walk(Config config, List<ConfigProblem> out) {
      this.config = config;
      this.out = out;
    }

    /**
     * @param path where {@code user} is in the config
     * @param shape where its reference is ({@code rebound.queue-defaults} for a queue)
     * @param queue the queue it belongs to, or null
     */
    void section(ConfigObject user, ConfigObject ref, String path, String shape, String queue) {
      if (ref.containsKey("executor")) {
        return; // a Pekko dispatcher: Pekko's keys
      }
      for (String key : new TreeSet<>(user.keySet())) {
        String p = path + "." + ConfigUtil.joinPath(key);
        String s = shape + "." + ConfigUtil.joinPath(key);
        if (!ref.containsKey(key)) {
          out.add(unknown(p, key, ref.keySet()));
          continue;
        }
        if (!(user.get(key) instanceof ConfigObject u) || !(ref.get(key) instanceof ConfigObject r)) {
          continue; // a value, or a type the settings readers report
        }
        switch (s) {
          case "rebound.queues" -> u.keySet().forEach(q -> child(u, q, p, QUEUE, q));
          case "rebound.tools" -> u.keySet().forEach(t -> child(u, t, p, TOOL, null));
          case "rebound.schedules" -> u.keySet().forEach(n -> child(u, n, p, SCHEDULE, null));
          case QUEUE + ".handler" -> handler(u, p, queue);
          case TOOL + ".probe" -> probe(u, r, p);
          case QUEUE + ".retry.on" -> kinds(u, p, queue);
          default -> {
            if (!r.isEmpty()) {
              section(u, r, p, s, queue);
            }
          }
        }
      }
    }

    private void child(ConfigObject parent, String name, String path, String shape, String queue) {
      if (parent.get(name) instanceof ConfigObject o) {
        String p = path + "." + ConfigUtil.joinPath(name);
        section(o, reference(shape), p, shape, queue);
        if (queue != null && !o.containsKey("handler")) {
          handler(ConfigFactory.empty().root(), p + ".handler", queue);
        }
      }
    }

    private void handler(ConfigObject h, String path, String queue) {
      if (queue != null && handlersInCode.contains(queue)) {
        return;
      }
      Optional<String> type = type(h, QUEUE + ".handler.type");
      if (type.isEmpty()) {
        if (queue != null) {
          out.add(new ConfigProblem(path + ".type", "no handler was passed for queue '" + queue
              + "' and none is configured (known types: " + String.join(", ", new TreeSet<>(handlerTypes.keySet())) + ")"));
        }
        return;
      }
      typed(h, Set.of("type"), handlerTypes, type.get(), path, "handler type");
    }

    private void probe(ConfigObject p, ConfigObject ref, String path) {
      type(p, TOOL + ".probe.type").ifPresent(t -> typed(p, ref.keySet(), probeTypes, t, path, "probe type"));
    }

    /** The block's own type, or the one its defaults give. */
    private Optional<String> type(ConfigObject block, String defaultPath) {
      ConfigValue own = block.get("type");
      if (own != null) {
        return own.valueType() == ConfigValueType.STRING ? Optional.of((String) own.unwrapped()) : Optional.empty();
      }
      return config.hasPath(defaultPath) ? Optional.of(config.getString(defaultPath)) : Optional.empty();
    }

    private void typed(ConfigObject block, Set<String> common, Map<String, Set<String>> types, String type, String path,
        String what) {
      Set<String> own = types.get(type);
      if (own == null) {
        String known = String.join(", ", new TreeSet<>(types.keySet()));
        out.add(new ConfigProblem(path + ".type", "unknown " + what + " '" + type + "'"
            + Closest.to(type, types.keySet()).map(c -> " (did you mean " + c + "?)").orElse(" (known: " + known + ")")));
        return;
      }
      if (own.equals(ANY_KEY)) {
        return;
      }
      Set<String> known = new TreeSet<>(common);
      known.addAll(own);
      for (String key : new TreeSet<>(block.keySet())) {
        if (!known.contains(key)) {
          out.add(unknown(path + "." + ConfigUtil.joinPath(key), key, known));
        }
      }
    }

    /** {@code retry.on.<kind> { ... }}: an error kind, then the keys of retry but {@code on}. */
    private void kinds(ConfigObject on, String path, String queue) {
      ConfigObject retry = reference(QUEUE + ".retry").withoutKey("on");
      List<String> names = Arrays.stream(ErrorKind.values()).map(k -> k.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList();
      for (String kind : new TreeSet<>(on.keySet())) {
        String p = path + "." + ConfigUtil.joinPath(kind);
        if (!names.contains(kind.toLowerCase(Locale.ROOT).replace('_', '-'))) {
          out.add(new ConfigProblem(p, "unknown error kind"
              + Closest.to(kind, names).map(c -> " (did you mean " + c + "?)").orElse(" (known: " + String.join(", ", names) + ")")));
        } else if (on.get(kind) instanceof ConfigObject o) {
          section(o, retry, p, QUEUE + ".retry.on.*", queue);
        }
      }
    }

    private ConfigObject reference(String shape) {
      return reference.atKey("rebound").getObject(shape);
    }
  }

  static ConfigProblem unknown(String path, String key, Collection<String> known) {
    Optional<String> closest = Closest.to(key, known);
    if (closest.isPresent()) {
      return new ConfigProblem(path, "unknown key (did you mean " + closest.get() + "?)");
    }
    return new ConfigProblem(path, known.isEmpty() ? "unknown key" : "unknown key (known here: " + String.join(", ", new TreeSet<>(known)) + ")");
  }
}
