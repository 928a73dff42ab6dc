package io.rebound.api;

import java.util.concurrent.CompletionStage;

/**
 * Processes one attempt of one item. Runs on Rebound's blocking-io dispatcher, so blocking is
 * allowed. Complete normally for success; fail (throw, or complete exceptionally) with
 * {@link TransientException}, {@link PermanentException} or {@link ToolUnavailableException} to
 * say what kind of failure it was. Any other exception counts as transient.
 *
 * <p>An attempt may run more than once (after a crash, a timeout): handlers should be idempotent,
 * keyed on {@link JobContext#itemId()}.
 */
@FunctionalInterface
public interface JobHandler {
  CompletionStage<Void> handle(JobContext context) throws Exception;
}
