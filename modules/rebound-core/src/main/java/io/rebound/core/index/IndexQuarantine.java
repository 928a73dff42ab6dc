package io.rebound.core.index;

import io.rebound.core.item.ItemEntity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events the index projection could not apply, kept in {@code rebound_index_quarantine} instead
 * of being retried forever (which would stop the whole slice): the database refused the row they
 * make (a value too long, a missing one), or folding them failed. Recorded in the projection's
 * transaction, so an event is either applied or quarantined, once. The item itself is unaffected
 * (its journal is the truth); only its index row misses the change until the next event.
 */
public final class IndexQuarantine {
  private static final Logger LOG = LoggerFactory.getLogger(IndexQuarantine.class);
  static final int MAX_ERROR = 1000;

  private IndexQuarantine() {}

  /** What is in quarantine: how many events, the latest one's time and error (null when empty). */
  public record Summary(long count, Instant latest, String lastError) {}

  /** Records each refused item's events; returns how many events. */
  static int record(Connection c, List<IndexUpdates.Refused> refused, Instant at) throws SQLException {
    int n = 0;
    try (PreparedStatement st = c.prepareStatement("INSERT INTO rebound_index_quarantine"
        + " (persistence_id, seq_nr, event_class, error, quarantined_at) VALUES (?, ?, ?, ?, ?)")) {
      for (IndexUpdates.Refused r : refused) {
        String pid = ItemEntity.persistenceId(r.id()).id();
        String error = fit(r.error(), MAX_ERROR);
        for (IndexUpdates.Folded e : r.events()) {
          LOG.error("Index: quarantined event {} of {} ({}), the database cannot store it: {}", e.seqNr(), pid, e.eventClass(), error);
          st.setString(1, fit(pid, 1024));
          st.setLong(2, e.seqNr());
          st.setString(3, fit(e.eventClass(), 255));
          st.setString(4, error);
          st.setObject(5, IndexUpdates.time(at));
          st.executeUpdate();
          n++;
        }
      }
    }
    return n;
  }

  /** Storable and no longer than {@code max}: the quarantine itself must never be refused. */
  private static String fit(String s, int max) {
    String t = (String) IndexUpdates.storable(s == null ? "" : s);
    return t.length() <= max ? t : t.substring(0, max - 1) + "…";
  }

  static Summary summary(Connection c) throws SQLException {
    long count;
    try (PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM rebound_index_quarantine");
        ResultSet rs = st.executeQuery()) {
      rs.next();
      count = rs.getLong(1);
    }
    if (count == 0) {
      return new Summary(0, null, null);
    }
    try (PreparedStatement st = c.prepareStatement(
        "SELECT quarantined_at, error FROM rebound_index_quarantine ORDER BY quarantined_at DESC LIMIT 1");
        ResultSet rs = st.executeQuery()) {
      rs.next();
      return new Summary(count, rs.getObject(1, OffsetDateTime.class).toInstant(), rs.getString(2));
    }
  }
}
