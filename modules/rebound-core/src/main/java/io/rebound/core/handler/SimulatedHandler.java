package io.rebound.core.handler;

import com.fasterxml.jackson.databind.JsonNode;
import io.rebound.api.JobContext;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.api.ToolUnavailableException;
import io.rebound.api.TransientException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A handler for demos and tests. The payload {@code {"fail": N, "kind": "TRANSIENT", "ms": M}}
 * makes the first N invocations of an item fail with that kind (TRANSIENT, PERMANENT or
 * TOOL_UNAVAILABLE), each invocation taking M milliseconds. Missing fields mean 0, TRANSIENT, 0.
 */
public final class SimulatedHandler implements JobHandler {

  @Override
  public CompletionStage<Void> handle(JobContext context) throws InterruptedException {
    JsonNode p = context.payload();
    long ms = p.path("ms").asLong(0);
    int fail = p.path("fail").asInt(0);
    String kind = p.path("kind").asText("TRANSIENT").toUpperCase(Locale.ROOT);
    if (ms < 0 || fail < 0) {
      throw new PermanentException("simulated: 'fail' and 'ms' must not be negative");
    }
    if (ms > 0) {
      Thread.sleep(ms);
    }
    // Invocations, not counted attempts: a parked attempt does not count but must still end.
    if (context.execution() <= fail) {
      String message = "simulated " + kind.toLowerCase(Locale.ROOT) + " failure " + context.execution() + " of " + fail;
      throw switch (kind) {
        case "TRANSIENT" -> new TransientException(message);
        case "PERMANENT" -> new PermanentException(message);
        case "TOOL_UNAVAILABLE" -> new ToolUnavailableException(message, List.of("simulated-tool"));
        default -> new PermanentException("simulated: unknown kind '" + kind + "' (TRANSIENT, PERMANENT or TOOL_UNAVAILABLE)");
      };
    }
    return CompletableFuture.completedFuture(null);
  }
}
