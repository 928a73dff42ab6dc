package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rebound.core.PostgresTestDatabase;
import io.rebound.core.item.ItemEntity;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL a refused statement aborts the whole transaction: the quarantine must roll back to
 * a savepoint, not lose the group's other rows (skipped where no PostgreSQL answers).
 */
class PostgresIndexQuarantineTest {
  /** The wake settings of reference.conf, for each row's wake_after. */
  static final io.rebound.core.wake.WakeRule WAKE =
      io.rebound.core.wake.WakeSettings.from(com.typesafe.config.ConfigFactory.load()).rule();

  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private static EventEnvelope<ItemEntity.Event> env(String id, long seqNr, ItemEntity.Event event) {
    return EventEnvelope.create(Offset.sequence(seqNr), ItemEntity.persistenceId(id).id(), seqNr, event, 0L);
  }

  @Test
  void a_refused_row_is_quarantined_and_the_rest_of_the_group_commits_on_postgresql() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create();
        Connection c = DriverManager.getConnection(db.url(), PostgresTestDatabase.USER, "")) {
      IndexSchema.ensure(c, Map.of());
      String tooLong = "y".repeat(100);
      ProjectionHealth health = new ProjectionHealth();
      IndexSession session = new IndexSession(c);
      new IndexProjection.Handler(false, WAKE, health, "item-0").process(session, List.of(
          env("a", 1, new ItemEntity.Enqueued("a", "q", null, "{}", 5, T, null, null)),
          env(tooLong, 1, new ItemEntity.Enqueued(tooLong, "q", null, "{}", 5, T, null, null)),
          env("b", 1, new ItemEntity.Enqueued("b", "q", "k\u0000ey", "{}", 5, T, null, null))));
      session.commit();
      c.setAutoCommit(true);
      List<String> rows = new ArrayList<>();
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM rebound_item ORDER BY id")) {
        while (rs.next()) {
          rows.add(rs.getString(1));
        }
      }
      assertEquals(List.of("a", "b"), rows);
      assertEquals(1, IndexQuarantine.summary(c).count());
      assertEquals(1, health.quarantined());
    }
  }
}
