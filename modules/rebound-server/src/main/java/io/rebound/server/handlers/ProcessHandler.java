package io.rebound.server.handlers;

import static io.rebound.core.config.ReboundConfigException.reading;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.rebound.api.JobContext;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.api.TransientException;
import io.rebound.core.config.ReboundConfigException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@code handler { type = process, command = ["./bin/send", "--fast"], transient-exit-codes = [75],
 * timeout = 5m, directory = "." }}: runs a command once per attempt.
 *
 * <p>The payload, as stored, is written to the command's stdin, which is then closed. The
 * command does not inherit the node's environment (it holds database and TLS passwords and API
 * tokens): it gets only the variables named in {@code environment-allow} (default from {@code
 * rebound.process-handler.environment-allow}: PATH, HOME, LANG, ...), those set in {@code
 * environment { NAME = value }}, and {@code REBOUND_ITEM_ID}, {@code REBOUND_ATTEMPT}, {@code
 * REBOUND_EXECUTION} (the attempt's fencing token) and {@code REBOUND_QUEUE}. A command given as
 * one string runs through {@code /bin/sh -c}. Exit 0 is success;
 * an exit code in {@code transient-exit-codes} (default 75, EX_TEMPFAIL) is transient, any other is
 * permanent, with the message {@code "exit <code>: "} and the last 2048 characters of stderr. On
 * {@code timeout} (default 5m) the whole process tree is killed and the attempt fails as transient;
 * so it is when Rebound cancels the attempt (its attempt-timeout, a cancel, the item moving), and
 * every tree still running when the JVM exits is killed by a shutdown hook; a JVM killed outright
 * (SIGKILL) is noticed by each command's watchdog, which ends it and its children within about 3 s
 * ({@link ProcessGuard}).
 */
public final class ProcessHandler implements JobHandler {
  /** Characters of stderr kept for a failure message (the tail). */
  /** The keys of its {@code handler} block besides {@code type}. */
  public static final Set<String> KEYS = Set.of("command", "transient-exit-codes", "timeout", "directory", "environment-allow", "environment");

  static final int STDERR_CHARS = 2048;
  /** Bytes of stderr kept: enough for {@link #STDERR_CHARS} characters of UTF-8. */
  private static final int STDERR_BYTES = STDERR_CHARS * 4;
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
  static final List<Integer> DEFAULT_TRANSIENT_EXIT_CODES = List.of(75);
  /** How long killed processes get to end after SIGTERM before SIGKILL. */
  static final Duration KILL_GRACE = Duration.ofSeconds(2);
  /** After the process ends, how long its output readers get to reach the end of the pipes. */
  private static final Duration DRAIN_GRACE = Duration.ofSeconds(1);

  /** The processes running now, killed with their trees when the JVM exits. */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> killTrees(List.copyOf(LIVE)), "rebound-process-reaper"));
  }

  private final List<String> command;
  private final Set<Integer> transientExitCodes;
  private final Duration timeout;
  private final File directory;
  /** Names of the node's variables passed on, when set. */
  private final List<String> environmentAllow;
  /** Variables set explicitly; they win over passed-on ones. */
  private final Map<String, String> environment;
  /** The node's environment (a test gives its own). */
  private java.util.function.Supplier<Map<String, String>> nodeEnvironment = System::getenv;

  ProcessHandler(List<String> command, Set<Integer> transientExitCodes, Duration timeout, File directory) {
    this(command, transientExitCodes, timeout, directory, DEFAULT_ENVIRONMENT_ALLOW, Map.of());
  }

  ProcessHandler(List<String> command, Set<Integer> transientExitCodes, Duration timeout, File directory,
      List<String> environmentAllow, Map<String, String> environment) {
    this.command = List.copyOf(command);
    this.transientExitCodes = Set.copyOf(transientExitCodes);
    this.timeout = timeout;
    this.directory = directory;
    this.environmentAllow = List.copyOf(environmentAllow);
    this.environment = Map.copyOf(environment);
  }

  /** The node-wide defaults of every process handler (the server module's reference.conf). */
  public static final String DEFAULTS_KEY = "rebound.process-handler";
  /** reference.conf's list, used when a block read without the node's config has none (as in unit tests). */
  static final List<String> DEFAULT_ENVIRONMENT_ALLOW =
      List.copyOf(com.typesafe.config.ConfigFactory.defaultReference().getStringList(DEFAULTS_KEY + ".environment-allow"));

  /**
   * A factory reading handler blocks over the node-wide defaults under {@value #DEFAULTS_KEY} of
   * {@code nodeConfig} (a block's own {@code environment-allow} replaces the default list; its
   * {@code environment} adds to the default map).
   */
  public static java.util.function.Function<Config, JobHandler> factory(Config nodeConfig) {
    Config defaults = nodeConfig.hasPath(DEFAULTS_KEY) ? nodeConfig.getConfig(DEFAULTS_KEY) : com.typesafe.config.ConfigFactory.empty();
    return block -> fromConfig(block.withFallback(defaults));
  }

  /**
   * Reads a {@code handler} block ({@code command} required, a list or one shell string; {@code
   * transient-exit-codes} default [75]; {@code timeout} default 5m; {@code directory} default the
   * node's working directory). Errors name the key relative to the block.
   */
  public static JobHandler fromConfig(Config handlerBlock) {
    Config c = handlerBlock;
    if (!c.hasPath("command")) {
      throw new ReboundConfigException("command", "the process handler needs a command: a list like [\"./bin/send\", \"--fast\"] or one string for /bin/sh -c");
    }
    ConfigValue v = c.getValue("command");
    List<String> command;
    if (v.valueType() == ConfigValueType.STRING) {
      String line = c.getString("command");
      if (line.isBlank()) {
        throw new ReboundConfigException("command", "must not be empty");
      }
      command = List.of("/bin/sh", "-c", line);
    } else if (v.valueType() == ConfigValueType.LIST) {
      command = reading("command", () -> c.getStringList("command"));
      if (command.isEmpty() || command.get(0).isBlank()) {
        throw new ReboundConfigException("command", "must not be empty (the first entry is the program)");
      }
    } else {
      throw new ReboundConfigException("command", "must be a list of strings or one string, was " + v.valueType().name().toLowerCase(Locale.ROOT));
    }

    Set<Integer> codes = new TreeSet<>(DEFAULT_TRANSIENT_EXIT_CODES);
    if (c.hasPath("transient-exit-codes")) {
      List<Integer> given = reading("transient-exit-codes", () -> c.getIntList("transient-exit-codes"));
      for (int code : given) {
        if (code < 1 || code > 255) {
          throw new ReboundConfigException("transient-exit-codes", "exit codes must be between 1 and 255, was " + code);
        }
      }
      codes = new TreeSet<>(given);
    }

    Duration timeout = DEFAULT_TIMEOUT;
    if (c.hasPath("timeout")) {
      timeout = reading("timeout", () -> c.getDuration("timeout"));
      if (timeout.isZero() || timeout.isNegative()) {
        throw new ReboundConfigException("timeout", "must be positive, was " + c.getValue("timeout").unwrapped());
      }
    }

    File directory = null;
    if (c.hasPath("directory")) {
      String dir = reading("directory", () -> c.getString("directory"));
      try {
        if (dir.isBlank() || !Files.isDirectory(Path.of(dir))) {
          throw new ReboundConfigException("directory", "'" + dir + "' is not an existing directory");
        }
      } catch (InvalidPathException e) {
        throw new ReboundConfigException("directory", "'" + dir + "' is not a valid path: " + e.getReason());
      }
      directory = new File(dir);
    }

    List<String> allow = DEFAULT_ENVIRONMENT_ALLOW;
    if (c.hasPath("environment-allow")) {
      allow = reading("environment-allow", () -> c.getStringList("environment-allow"));
      for (String name : allow) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          throw new ReboundConfigException("environment-allow", "must list variable names, was \"" + name + "\"");
        }
      }
    }
    Map<String, String> env = new TreeMap<>();
    if (c.hasPath("environment")) {
      Config e = reading("environment", () -> c.getConfig("environment"));
      for (var entry : e.root().entrySet()) {
        String name = entry.getKey();
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          throw new ReboundConfigException("environment", "\"" + name + "\" is not a variable name");
        }
        ConfigValue val = entry.getValue();
        if (val.valueType() == ConfigValueType.OBJECT || val.valueType() == ConfigValueType.LIST) {
          throw new ReboundConfigException("environment." + name, "must be a string");
        }
        env.put(name, String.valueOf(val.unwrapped()));
      }
    }
    return new ProcessHandler(command, codes, timeout, directory, allow, env);
  }

  @Override
  public CompletionStage<Void> handle(JobContext ctx) throws Exception {
    if (!ProcessGuard.startable(command.get(0), directory)) {
      throw new TransientException("cannot start " + command.get(0) + ": not found or not executable");
    }
    // Through a wrapper whose watchdog ends the command's process group if this JVM dies.
    ProcessBuilder pb = new ProcessBuilder(ProcessGuard.guarded(command));
    if (directory != null) {
      pb.directory(directory);
    }
    Map<String, String> env = pb.environment();
    Map<String, String> node = nodeEnvironment.get();
    env.clear();
    for (String name : environmentAllow) {
      String value = node.get(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    env.putAll(environment);
    pb.environment().put("REBOUND_ITEM_ID", ctx.itemId());
    pb.environment().put("REBOUND_ATTEMPT", Integer.toString(ctx.attempt()));
    pb.environment().put("REBOUND_EXECUTION", Integer.toString(ctx.execution()));
    pb.environment().put("REBOUND_QUEUE", ctx.queue());

    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new TransientException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
    LIVE.add(p);
    p.onExit().thenRun(() -> LIVE.remove(p));
    // Cancelled (timeout, cancel, handoff, node shutdown): the tree goes, and waitFor below returns.
    ctx.cancelled().thenRun(() -> killTree(p));

    // stdin, stdout and stderr each get a thread: a process that does not read its input, or
    // writes a lot, must not block on a full pipe (and neither must we).
    byte[] payload = ctx.payloadJson().getBytes(StandardCharsets.UTF_8);
    Tail stderr = new Tail(STDERR_BYTES);
    String name = "rebound-process-" + p.pid();
    Thread in = daemon(name + "-stdin", () -> {
      try (OutputStream out = p.getOutputStream()) {
        out.write(payload);
      } catch (IOException e) {
        // the process exited or closed stdin without reading it all: its exit code decides
      }
    });
    Thread out = daemon(name + "-stdout", () -> drain(p.getInputStream(), OutputStream.nullOutputStream()));
    Thread err = daemon(name + "-stderr", () -> drain(p.getErrorStream(), stderr));

    boolean exited;
    try {
      exited = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      killTree(p);
      throw e;
    }
    if (!exited) {
      killTree(p);
      in.interrupt();
      String tail = stderr.text();
      throw new TransientException("timed out after " + Durations.format(timeout) + (tail.isEmpty() ? "" : ": " + tail));
    }

    // Read what is left in the pipes; a grandchild still holding them open must not hold us.
    long drainUntil = System.nanoTime() + DRAIN_GRACE.toNanos();
    for (Thread t : List.of(out, err)) {
      long left = drainUntil - System.nanoTime();
      if (left > 0) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }

    int code = p.exitValue();
    if (code == 0) {
      return CompletableFuture.completedFuture(null);
    }
    String message = "exit " + code + ": " + stderr.text();
    if (transientExitCodes.contains(code)) {
      throw new TransientException(message);
    }
    throw new PermanentException(message);
  }

  /** For tests: this handler with {@code env} as the node's environment. */
  ProcessHandler withNodeEnvironment(Map<String, String> env) {
    ProcessHandler h = new ProcessHandler(command, transientExitCodes, timeout, directory, environmentAllow, environment);
    h.nodeEnvironment = () -> env;
    return h;
  }

  /** Ends the process and its descendants: SIGTERM to all, then SIGKILL to those left after a grace. */
  static void killTree(Process p) {
    killTrees(List.of(p));
  }

  /** {@link #killTree} for several processes at once: one grace period for all. */
  static void killTrees(List<Process> processes) {
    List<ProcessHandle> all = new ArrayList<>();
    for (Process p : processes) {
      p.descendants().forEach(all::add);
      all.add(p.toHandle());
    }
    for (ProcessHandle h : all) {
      h.destroy();
    }
    long deadline = System.nanoTime() + KILL_GRACE.toNanos();
    // Poll rather than onExit(): for processes that are not our children onExit polls slowly.
    while (all.stream().anyMatch(ProcessHandler::running) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (ProcessHandle h : all) {
      if (running(h)) {
        h.destroyForcibly();
      }
    }
    // Reap the direct children so their pids do not linger as zombies.
    for (Process p : processes) {
      try {
        p.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Alive and not a zombie. A killed grandchild is reparented to init and stays a zombie until
   * init reaps it, which in a container may be late or never; it no longer runs all the same.
   */
  static boolean running(ProcessHandle h) {
    if (!h.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
      int close = stat.lastIndexOf(')');
      return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
    } catch (IOException | RuntimeException e) {
      return h.isAlive(); // no /proc (not Linux), or the process is gone
    }
  }

  private static void drain(InputStream from, OutputStream to) {
    try (InputStream in = from) {
      in.transferTo(to);
    } catch (IOException e) {
      // the stream was closed under us (the process was killed): nothing more to read
    }
  }

  private static Thread daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The last {@code size} bytes written to it, as text. */
  static final class Tail extends OutputStream {
    private final byte[] ring;
    private long written;

    Tail(int size) {
      ring = new byte[size];
    }

    @Override
    public synchronized void write(int b) {
      ring[(int) (written++ % ring.length)] = (byte) b;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      if (len >= ring.length) {
        off += len - ring.length;
        written += len - ring.length;
        len = ring.length;
      }
      for (int i = 0; i < len; i++) {
        ring[(int) (written++ % ring.length)] = b[off + i];
      }
    }

    /** The tail as UTF-8, at most {@link #STDERR_CHARS} characters, trailing whitespace removed. */
    synchronized String text() {
      int n = (int) Math.min(written, ring.length);
      byte[] bytes = new byte[n];
      int start = (int) ((written - n) % ring.length);
      for (int i = 0; i < n; i++) {
        bytes[i] = ring[(start + i) % ring.length];
      }
      String s = new String(bytes, StandardCharsets.UTF_8).stripTrailing();
      if (s.length() > STDERR_CHARS) {
        int from = s.length() - STDERR_CHARS;
        if (Character.isLowSurrogate(s.charAt(from))) {
          from++;
        }
        s = s.substring(from);
      }
      return s;
    }
  }


  @Override
  public String toString() {
    // The environment's values are left out: they may be secrets.
    return "ProcessHandler(" + command + ", transient-exit-codes=" + transientExitCodes + ", timeout=" + Durations.format(timeout)
        + ", environment-allow=" + environmentAllow + ", environment=" + environment.keySet() + ")";
  }
}
