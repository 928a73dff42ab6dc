package io.rebound.core.index;

import io.rebound.core.storage.IndexDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * How far the read side is behind the journal: for each tag slice, the age of the oldest event
 * its projection has not committed yet (zero when it has them all); the lag is the largest. The
 * waker and MissingMetadata read the index, so items due later wake late by about this much.
 */
public final class IndexLag {
  private final IndexDatabase db;
  private final List<String> tags;
  private volatile Duration last = Duration.ZERO;

  public IndexLag(IndexDatabase db, List<String> tags) {
    this.db = db;
    this.tags = List.copyOf(tags);
  }

  /** Measures the lag now (one indexed look-up per slice) and keeps it for {@link #last()}. */
  public CompletionStage<Duration> measure(Instant now) {
    return db.run(c -> {
      Duration worst = Duration.ZERO;
      for (String tag : tags) {
        Long written = oldestUnprojected(c, tag, offset(c, tag));
        if (written != null) {
          Duration d = Duration.between(Instant.ofEpochMilli(written), now);
          worst = d.compareTo(worst) > 0 ? d : worst;
        }
      }
      last = worst;
      return worst;
    });
  }

  /** The lag at the last measurement. */
  public Duration last() {
    return last;
  }

  private static long offset(Connection c, String tag) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT current_offset FROM pekko_projection_offset_store WHERE projection_name = ? AND projection_key = ?")) {
      st.setString(1, IndexProjection.NAME);
      st.setString(2, tag);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Long.parseLong(rs.getString(1)) : 0L;
      }
    }
  }

  /** The write time (epoch millis) of the slice's first event after the offset, or null. */
  private static Long oldestUnprojected(Connection c, String tag, long offset) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        // A slice's events carry their tag in the journal row or, from older writers, in a tag row.
        "SELECT j.\"write_timestamp\" FROM \"event_journal\" j WHERE j.\"ordering\" = (SELECT MIN(u.e) FROM"
            + " (SELECT MIN(\"ordering\") e FROM \"event_journal\" WHERE \"rebound_tag\" = ? AND \"ordering\" > ?"
            + " UNION ALL SELECT MIN(t.\"event_id\") e FROM \"event_tag\" t WHERE t.\"tag\" = ? AND t.\"event_id\" > ?) u)")) {
      st.setString(1, tag);
      st.setLong(2, offset);
      st.setString(3, tag);
      st.setLong(4, offset);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }
}
