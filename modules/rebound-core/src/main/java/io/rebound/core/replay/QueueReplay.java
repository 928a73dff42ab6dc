package io.rebound.core.replay;

import io.rebound.core.storage.IndexDatabase;
import io.rebound.core.index.IndexUpdates;
import io.rebound.core.item.ItemEntity;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Runs a what-if replay over a queue as a stream: item ids come from the index in pages (a keyset
 * scan by change time), each item's events from the journal's query API, and every replayed item
 * is folded into a {@link ReplaySummary}. Memory stays bounded by a page of ids and the events of
 * a few items; no item actor is woken.
 */
public final class QueueReplay {
  static final int PAGE = 500;
  /** Items whose journals are read at once. */
  static final int PARALLELISM = 4;
  private static final Pattern CURSOR = Pattern.compile("\\d{20}:[0-9a-f-]{36}");

  private final ActorSystem<?> system;
  private final IndexDatabase db;

  public QueueReplay(ActorSystem<?> system, IndexDatabase db) {
    this.system = system;
    this.db = db;
  }

  private record Row(String id, Instant updatedAt) {
    String cursor() {
      return cursor(updatedAt, id);
    }

    static String cursor(Instant at, String id) {
      long micros = at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000;
      return String.format("%020d:%s", micros, id);
    }
  }

  /** Whether the text is a cursor of the changed items a replay returned. */
  public static boolean isCursor(String s) {
    return s != null && CURSOR.matcher(s).matches();
  }

  public CompletionStage<ReplayReport> run(ReplayRequest request) {
    JdbcReadJournal journal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    ReplaySummary summary = new ReplaySummary(request.changeLimit(), request.changesAfter());
    return ids(request)
        .mapAsync(PARALLELISM, row -> journal
            .currentEventsByPersistenceId(ItemEntity.persistenceId(row.id()).id(), 0L, Long.MAX_VALUE)
            .map(env -> (ItemEntity.Event) env.event())
            .runWith(Sink.seq(), system)
            .thenApplyAsync(events -> Pair.create(row, Optional.ofNullable(RecordedItem.of(row.id(), events))), system.executionContext()))
        .runWith(Sink.fold(summary, (s, p) -> {
          p.second().ifPresent(item -> s.add(item, ReplaySimulator.replay(item, request.policy()), p.first().cursor()));
          return s;
        }), system)
        .thenApplyAsync(s -> new ReplayReport(request, s), system.executionContext());
  }

  /** The queue's rows changed within the window, page by page in (updated_at, id) order. */
  private Source<Row, NotUsed> ids(ReplayRequest request) {
    return Source.<Optional<Row>, List<Row>>unfoldAsync(Optional.empty(), after -> {
          if (after.isPresent() && after.get().id() == null) {
            return CompletableFuture.completedFuture(Optional.empty());
          }
          return page(request, after.orElse(null)).thenApplyAsync(rows -> {
            if (rows.isEmpty()) {
              return Optional.empty();
            }
            // A page shorter than asked is the last: the marker row (no id) ends the scan.
            Row next = rows.size() < PAGE ? new Row(null, null) : rows.get(rows.size() - 1);
            return Optional.of(Pair.create(Optional.of(next), rows));
          }, system.executionContext());
        })
        .mapConcat(rows -> rows);
  }

  private CompletionStage<List<Row>> page(ReplayRequest request, Row after) {
    return db.run(c -> {
      String sql = "SELECT id, updated_at FROM rebound_item WHERE queue = ? AND updated_at >= ? AND updated_at <= ?"
          + (after == null ? "" : " AND (updated_at > ? OR (updated_at = ? AND id > ?))")
          + " ORDER BY updated_at, id LIMIT ?";
      try (PreparedStatement st = c.prepareStatement(sql)) {
        int i = 1;
        st.setString(i++, request.queue());
        st.setObject(i++, IndexUpdates.time(request.from()));
        st.setObject(i++, IndexUpdates.time(request.to()));
        if (after != null) {
          st.setObject(i++, IndexUpdates.time(after.updatedAt()));
          st.setObject(i++, IndexUpdates.time(after.updatedAt()));
          st.setString(i++, after.id());
        }
        st.setInt(i, PAGE);
        List<Row> rows = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            rows.add(new Row(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant()));
          }
        }
        return rows;
      }
    });
  }
}
