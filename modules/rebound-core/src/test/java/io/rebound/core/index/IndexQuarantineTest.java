package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.item.ItemEntity;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Events the database refuses to store are quarantined; the slice goes on with the rest of the group. */
class IndexQuarantineTest {
  /** The wake settings of reference.conf, for each row's wake_after. */
  static final io.rebound.core.wake.WakeRule WAKE =
      io.rebound.core.wake.WakeSettings.from(com.typesafe.config.ConfigFactory.load()).rule();

  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private Connection c;

  @BeforeEach
  void schema() throws SQLException {
    c = DriverManager.getConnection("jdbc:h2:mem:quarantine-" + System.nanoTime() + ";DATABASE_TO_UPPER=false");
    IndexSchema.ensure(c, Map.of());
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  private static EventEnvelope<ItemEntity.Event> env(String id, long seqNr, ItemEntity.Event event) {
    return EventEnvelope.create(Offset.sequence(seqNr), ItemEntity.persistenceId(id).id(), seqNr, event, 0L);
  }

  private static ItemEntity.Enqueued enqueued(String id, String queue) {
    return new ItemEntity.Enqueued(id, queue, null, "{}", 5, T, null, null);
  }

  private List<String> column(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  @Test
  void an_event_the_database_refuses_is_quarantined_and_the_rest_of_the_group_is_written() throws Exception {
    ProjectionHealth health = new ProjectionHealth();
    IndexProjection.Handler handler = new IndexProjection.Handler(false, WAKE, health, "item-0");
    String tooLong = "x".repeat(100); // rebound_item.id holds 64 characters
    IndexSession session = new IndexSession(c);
    handler.process(session, List.of(
        env("a", 1, enqueued("a", "q")),
        env(tooLong, 1, enqueued(tooLong, "q")),
        env(tooLong, 2, new ItemEntity.AttemptStarted(1, 1, T)),
        env("b", 1, enqueued("b", "q")),
        env("a", 2, new ItemEntity.AttemptStarted(1, 1, T))));
    session.commit();

    assertEquals(List.of("a RUNNING", "b PENDING"), column("SELECT id || ' ' || status FROM rebound_item ORDER BY id"));
    assertEquals(List.of("Item|" + tooLong + " 1 " + ItemEntity.Enqueued.class.getName(),
            "Item|" + tooLong + " 2 " + ItemEntity.AttemptStarted.class.getName()),
        column("SELECT persistence_id || ' ' || seq_nr || ' ' || event_class FROM rebound_index_quarantine ORDER BY seq_nr"));
    assertEquals(2, health.quarantined());
    assertEquals(List.of(), health.failing(), "the slice is not failing");

    IndexQuarantine.Summary summary = IndexQuarantine.summary(c);
    assertEquals(2, summary.count());
    List<Alerts.Alert> alerts = Alerts.quarantine(summary);
    assertEquals(1, alerts.size());
    assertEquals("index-quarantine", alerts.get(0).type());
    assertTrue(alerts.get(0).message().contains("rebound_index_quarantine"), alerts.get(0).message());
    assertTrue(alerts.get(0).message().contains("22001"), alerts.get(0).message());
  }

  @Test
  void a_missing_value_is_quarantined_too() throws Exception {
    ProjectionHealth health = new ProjectionHealth();
    IndexSession session = new IndexSession(c);
    // An event whose queue is missing (rebound_item.queue is NOT NULL).
    new IndexProjection.Handler(false, WAKE, health, "item-0").process(session, List.of(env("c", 1, enqueued("c", null))));
    session.commit();
    assertEquals(List.of("Item|c"), column("SELECT persistence_id FROM rebound_index_quarantine"));
    assertEquals(List.of(), column("SELECT id FROM rebound_item"));
  }

  @Test
  void an_empty_quarantine_raises_no_alert() throws SQLException {
    assertEquals(List.of(), Alerts.quarantine(IndexQuarantine.summary(c)));
  }

  @Test
  void an_error_that_is_not_the_events_fault_is_retried_not_quarantined() throws SQLException {
    ProjectionHealth health = new ProjectionHealth();
    try (Statement st = c.createStatement()) {
      st.execute("DROP TABLE rebound_item");
    }
    IndexSession session = new IndexSession(c);
    assertThrows(SQLException.class, () ->
        new IndexProjection.Handler(false, WAKE, health, "item-0").process(session, List.of(env("a", 1, enqueued("a", "q")))));
    session.rollback();
    assertEquals(List.of(), column("SELECT persistence_id FROM rebound_index_quarantine"));
    assertEquals(0, health.quarantined());
  }
}
