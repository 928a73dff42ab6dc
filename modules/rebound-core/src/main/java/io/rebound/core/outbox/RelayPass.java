package io.rebound.core.outbox;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.OverloadedException;
import io.rebound.core.enqueue.UnknownQueueException;
import io.rebound.core.storage.IndexDatabase;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * One pass of the relay: read the oldest committed rows, enqueue them together, and once every
 * enqueue has answered, delete the rows whose item exists (the item's {@code Enqueued} event is
 * persisted before the answer) and mark those that can never become one. A row whose enqueue was
 * refused (overloaded) or failed otherwise stays for the next pass; its item id is fixed by the
 * row, so a repeat reaches the item it already made.
 */
final class RelayPass {
  /**
   * What a pass did: rows read, relayed (deleted), marked bad, left for later (and of those,
   * refused as overloaded), the first error, and the creation time of the oldest row read (null when none).
   */
  record Result(int read, int relayed, int bad, int kept, int overloaded, String firstError, Instant oldest) {}

  private enum Fate { RELAYED, BAD, KEPT, OVERLOADED }

  private record Outcome(Fate fate, String error) {}

  private final IndexDatabase db;
  private final OutboxRelay.Enqueuer enqueuer;
  private final Clock clock;
  private final int batchSize;

  RelayPass(IndexDatabase db, OutboxRelay.Enqueuer enqueuer, Clock clock, int batchSize) {
    this.db = db;
    this.enqueuer = enqueuer;
    this.clock = clock;
    this.batchSize = batchSize;
  }

  CompletionStage<Result> run() {
    return db.run(c -> OutboxRows.next(c, batchSize)).thenCompose(this::relay);
  }

  private CompletionStage<Result> relay(List<OutboxRow> rows) {
    if (rows.isEmpty()) {
      return CompletableFuture.completedFuture(new Result(0, 0, 0, 0, 0, null, null));
    }
    // In id order; the enqueues run together (one at a time would cap the relay at one
    // round trip per row), so items of one pass start in about the order of their rows.
    Map<OutboxRow, CompletableFuture<Outcome>> outcomes = new LinkedHashMap<>();
    for (OutboxRow row : rows) {
      outcomes.put(row, enqueue(row).toCompletableFuture());
    }
    return CompletableFuture.allOf(outcomes.values().toArray(CompletableFuture[]::new)).thenCompose(x -> {
      List<Long> relayed = new ArrayList<>();
      Map<Long, String> bad = new LinkedHashMap<>();
      int kept = 0;
      int overloaded = 0;
      String firstError = null;
      for (Map.Entry<OutboxRow, CompletableFuture<Outcome>> e : outcomes.entrySet()) {
        Outcome o = e.getValue().join();
        switch (o.fate()) {
          case RELAYED -> relayed.add(e.getKey().id());
          case BAD -> bad.put(e.getKey().id(), o.error());
          case OVERLOADED -> {
            kept++;
            overloaded++;
          }
          case KEPT -> kept++;
        }
        if (firstError == null && o.error() != null) {
          firstError = "row " + e.getKey().id() + ": " + o.error();
        }
      }
      int keptRows = kept;
      int overloadedRows = overloaded;
      String error = firstError;
      return db.run(c -> {
        for (Map.Entry<Long, String> b : bad.entrySet()) {
          OutboxRows.markBad(c, b.getKey(), b.getValue());
        }
        OutboxRows.delete(c, relayed);
        Instant oldest = rows.stream().map(OutboxRow::createdAt).min(Instant::compareTo).orElse(null);
        return new Result(rows.size(), relayed.size(), bad.size(), keptRows, overloadedRows, error, oldest);
      });
    });
  }

  private CompletionStage<Outcome> enqueue(OutboxRow row) {
    EnqueueRequest request;
    try {
      request = row.request(clock.instant());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(new Outcome(Fate.BAD, e.getMessage()));
    }
    CompletionStage<?> stage;
    try {
      stage = enqueuer.enqueue(row.itemId(), row.queue(), request, row.traceparent());
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    return stage.handle((ok, error) -> {
      if (error == null) {
        return new Outcome(Fate.RELAYED, null);
      }
      Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (t instanceof UnknownQueueException) {
        return new Outcome(Fate.BAD, t.getMessage());
      }
      if (t instanceof OverloadedException) {
        return new Outcome(Fate.OVERLOADED, null);
      }
      return new Outcome(Fate.KEPT, t.toString());
    });
  }
}
