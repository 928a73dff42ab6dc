package io.rebound.core.tools;

import io.rebound.api.ErrorKind;
import io.rebound.api.ToolProbe;
import io.rebound.core.config.ToolSettings;
import io.rebound.core.crypto.Encryption;
import io.rebound.core.crypto.KeyRing;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.CircuitBreaker;

/**
 * Per node: probes each tool on a timer and keeps the node's view of it in {@link ToolHealth}.
 * A tool is down while its probe fails, after a handler reported it unavailable (until the next
 * successful probe), or while its circuit breaker is open: the breaker counts transient failures
 * in a row of items that need the tool, and the probe closes it again. When a tool comes up, the
 * items parked on it are told through {@code onUp}.
 */
public final class ToolSupervisor extends AbstractBehavior<ToolSupervisor.Command> {

  public sealed interface Command {}

  /** How an attempt of an item that needs these tools ended; {@code kind} null is success. */
  public record Outcome(List<String> tools, ErrorKind kind, String message) implements Command {}

  public record GetViews(ActorRef<List<ToolView>> replyTo) implements Command {}

  private record Tick(String tool) implements Command {}

  private record Probed(String tool, String error) implements Command {}

  private record BreakerChanged(String tool) implements Command {}

  private final class Tool {
    final ToolSettings settings;
    final ToolProbe probe;
    final CircuitBreaker breaker;
    Boolean probeOk;
    String lastError;
    /** {@link #lastError} as logged: a handler's message is replaced while encryption is on. */
    String loggedError;
    boolean reportedUnavailable;
    boolean probing;

    Tool(ToolSettings settings, ToolProbe probe, CircuitBreaker breaker) {
      this.settings = settings;
      this.probe = probe;
      this.breaker = breaker;
    }
  }

  private final Map<String, Tool> tools = new HashMap<>();
  private final ToolHealth health;
  private final Executor probeExecutor;
  private final Consumer<String> onUp;
  private final Clock clock;
  /** Whether encryption at rest is on: then handlers' messages stay out of the log. */
  private final boolean redactLogs;

  /**
   * @param probeExecutor where probes run (they block)
   * @param onUp called on this actor's thread when a tool becomes UP (also the first time)
   */
  public static Behavior<Command> create(
      Map<String, ToolSettings> settings, ToolHealth health, Executor probeExecutor, Consumer<String> onUp, Clock clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ToolSupervisor(ctx, timers, settings, health, probeExecutor, onUp, clock)));
  }

  private ToolSupervisor(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      Map<String, ToolSettings> settings,
      ToolHealth health,
      Executor probeExecutor,
      Consumer<String> onUp,
      Clock clock) {
    super(ctx);
    this.health = health;
    this.probeExecutor = probeExecutor;
    this.onUp = onUp;
    this.clock = clock;
    com.typesafe.config.Config config = ctx.getSystem().settings().config();
    this.redactLogs = config.hasPath(KeyRing.KEY_FILE) && !config.getString(KeyRing.KEY_FILE).isBlank();
    settings.forEach((name, s) -> {
      // The breaker may try again after one probe interval; the next good probe closes it.
      CircuitBreaker breaker = CircuitBreaker.create(
          ctx.getSystem().classicSystem().scheduler(), s.breakerMaxFailures(), s.timeout(), s.interval());
      Runnable changed = () -> ctx.getSelf().tell(new BreakerChanged(name));
      breaker.addOnOpenListener(changed).addOnCloseListener(changed);
      tools.put(name, new Tool(s, Probes.create(s, clock::instant), breaker));
      timers.startTimerWithFixedDelay(name, new Tick(name), java.time.Duration.ZERO, s.interval());
    });
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Tick.class, this::onTick)
        .onMessage(Probed.class, this::onProbed)
        .onMessage(Outcome.class, this::onOutcome)
        .onMessage(BreakerChanged.class, b -> update(tools.get(b.tool())))
        .onMessage(GetViews.class, g -> {
          g.replyTo().tell(health.all());
          return this;
        })
        .build();
  }

  private Behavior<Command> onTick(Tick t) {
    Tool tool = tools.get(t.tool());
    if (tool.probing) {
      return this;
    }
    tool.probing = true;
    CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
      try {
        tool.probe.check();
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, probeExecutor).orTimeout(tool.settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
    getContext().pipeToSelf(run, (ok, error) -> new Probed(t.tool(), error == null ? null : describe(error, tool)));
    return this;
  }

  private Behavior<Command> onProbed(Probed p) {
    Tool tool = tools.get(p.tool());
    tool.probing = false;
    tool.probeOk = p.error() == null;
    if (tool.probeOk) {
      tool.reportedUnavailable = false;
      // The probe closes an open breaker (once it may try again); it must not reset the count of
      // failures in a row, or a tool that accepts connections but fails real work never trips it.
      if (tool.breaker.isHalfOpen()) {
        tool.breaker.succeed();
      }
      tool.lastError = null;
      tool.loggedError = null;
    } else {
      tool.lastError = p.error();
      tool.loggedError = p.error();
    }
    return update(tool);
  }

  private Behavior<Command> onOutcome(Outcome o) {
    for (String name : o.tools()) {
      Tool tool = tools.get(name);
      if (tool == null) {
        continue;
      }
      if (o.kind() == null) {
        tool.breaker.succeed();
      } else if (o.kind() == ErrorKind.TOOL_UNAVAILABLE) {
        tool.reportedUnavailable = true;
        tool.lastError = "a handler reported it unavailable: " + o.message();
        tool.loggedError = "a handler reported it unavailable: " + logged(o.message());
      } else if (o.kind().isRetryable()) {
        tool.breaker.fail();
        if (tool.breaker.isOpen()) {
          tool.lastError = "circuit breaker open after " + tool.settings.breakerMaxFailures() + " failures in a row: " + o.message();
          tool.loggedError = "circuit breaker open after " + tool.settings.breakerMaxFailures() + " failures in a row: " + logged(o.message());
        }
      }
      update(tool);
    }
    return this;
  }

  /** A handler's message as the log may show it: it may quote a payload, which encryption keeps off disk. */
  private String logged(String handlerMessage) {
    return redactLogs ? Encryption.REDACTED_ERROR : handlerMessage;
  }

  private Behavior<Command> update(Tool tool) {
    String name = tool.settings.name();
    ToolView old = health.get(name);
    boolean down = Boolean.FALSE.equals(tool.probeOk) || tool.reportedUnavailable || tool.breaker.isOpen();
    ToolState state = down ? ToolState.DOWN : tool.probeOk == null ? ToolState.UNKNOWN : ToolState.UP;
    Instant since = old != null && old.state() == state ? old.since() : clock.instant();
    health.put(new ToolView(name, state, since, down ? tool.lastError : null, tool.breaker.isOpen()));
    if (old == null || old.state() != state) {
      getContext().getLog().info("Tool {} is {}{}", name, state, down && tool.loggedError != null ? ": " + tool.loggedError : "");
      if (state == ToolState.UP) {
        onUp.accept(name);
      }
    }
    return this;
  }

  private static String describe(Throwable error, Tool tool) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof TimeoutException) {
      return "probe timed out after " + tool.settings.timeout();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
