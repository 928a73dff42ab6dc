package io.rebound.core.outbox;

import io.rebound.api.JobContext;
import io.rebound.api.JobHandler;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** Succeeds, counting the executions of each payload's "m" marker per item. */
final class RecordingHandler implements JobHandler {
  /** marker -> item ids that ran with it. */
  final Map<String, java.util.Set<String>> items = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<Void> handle(JobContext context) {
    String marker = context.payload().path("m").asText();
    items.computeIfAbsent(marker, m -> ConcurrentHashMap.newKeySet()).add(context.itemId());
    return CompletableFuture.completedFuture(null);
  }

  boolean saw(String marker) {
    return items.containsKey(marker);
  }
}
