package io.rebound.core.item;

import io.rebound.api.ErrorKind;
import io.rebound.api.PermanentException;
import io.rebound.api.ToolUnavailableException;
import io.rebound.api.TransientException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns what a handler returned or threw into an {@link ItemEntity.AttemptCompleted}. */
final class Outcomes {
  private Outcomes() {}

  static ItemEntity.AttemptCompleted completed(int execution, Throwable error) {
    if (error == null) {
      return new ItemEntity.AttemptCompleted(execution, null, null, null, null, List.of());
    }
    Throwable e = unwrap(error);
    ErrorKind kind = kindOf(e);
    Duration retryAfter = e instanceof TransientException t ? t.retryAfter().orElse(null) : null;
    List<String> tools = e instanceof ToolUnavailableException t ? t.tools() : List.of();
    // A parked item keeps only the message: no attempt failed, so there is no trace to keep.
    String trace = kind == ErrorKind.TOOL_UNAVAILABLE ? null : stackTrace(e);
    return new ItemEntity.AttemptCompleted(execution, kind, message(e), trace, retryAfter, tools);
  }

  /** Unknown exceptions are transient: most failures in the wild are (network, restarts). */
  static ErrorKind kindOf(Throwable e) {
    if (e instanceof PermanentException) {
      return ErrorKind.PERMANENT;
    }
    if (e instanceof ToolUnavailableException) {
      return ErrorKind.TOOL_UNAVAILABLE;
    }
    return ErrorKind.TRANSIENT;
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getName() : m;
  }

  private static String stackTrace(Throwable e) {
    StringWriter w = new StringWriter();
    e.printStackTrace(new PrintWriter(w));
    return w.toString();
  }
}
