package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rebound.core.item.ItemEntity;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Index rows carry the sequence number of their last event and never move backwards. */
class IndexVersionTest {
  /** The wake settings of reference.conf, for each row's wake_after. */
  static final io.rebound.core.wake.WakeRule WAKE =
      io.rebound.core.wake.WakeSettings.from(com.typesafe.config.ConfigFactory.load()).rule();

  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private Connection c;

  @BeforeEach
  void schema() throws SQLException {
    c = DriverManager.getConnection("jdbc:h2:mem:version-" + System.nanoTime() + ";DATABASE_TO_UPPER=false");
    IndexSchema.ensure(c, Map.of());
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  private void write(Object... seqAndEvents) throws SQLException {
    IndexUpdates updates = new IndexUpdates(false, WAKE);
    for (int i = 0; i < seqAndEvents.length; i += 2) {
      updates.add("a", (Long) seqAndEvents[i], (ItemEntity.Event) seqAndEvents[i + 1]);
    }
    updates.write(c);
  }

  private String row() throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT status, attempts, seq_nr FROM rebound_item WHERE id = 'a'")) {
      return rs.next() ? rs.getString(1) + " " + rs.getInt(2) + " #" + rs.getObject(3) : "none";
    }
  }

  private static ItemEntity.Enqueued enqueued() {
    return new ItemEntity.Enqueued("a", "q", null, "{}", 5, T, null, null);
  }

  @Test
  void an_older_event_applied_late_is_ignored() throws SQLException {
    write(1L, enqueued(), 2L, new ItemEntity.AttemptStarted(1, 1, T), 3L, new ItemEntity.Succeeded(1, 1, T.plusSeconds(1)));
    assertEquals("SUCCEEDED 1 #3", row());
    // A replay of the attempt's start, after the row moved on.
    write(2L, new ItemEntity.AttemptStarted(1, 1, T));
    assertEquals("SUCCEEDED 1 #3", row());
    // And of the whole life: the Enqueued does not reset the row either.
    write(1L, enqueued(), 2L, new ItemEntity.AttemptStarted(1, 1, T));
    assertEquals("SUCCEEDED 1 #3", row());
  }

  @Test
  void within_one_group_an_event_out_of_order_is_ignored() throws SQLException {
    write(1L, enqueued(), 3L, new ItemEntity.Succeeded(1, 1, T.plusSeconds(1)), 2L, new ItemEntity.AttemptStarted(1, 1, T));
    assertEquals("SUCCEEDED 0 #3", row());
  }

  @Test
  void a_newer_event_moves_the_row_on_and_the_same_event_twice_changes_nothing() throws SQLException {
    write(1L, enqueued());
    assertEquals("PENDING 0 #1", row());
    write(2L, new ItemEntity.AttemptStarted(1, 1, T));
    write(2L, new ItemEntity.AttemptStarted(1, 1, T));
    assertEquals("RUNNING 1 #2", row());
  }

  @Test
  void a_row_written_before_rows_had_a_sequence_number_takes_the_next_event() throws SQLException {
    write(1L, enqueued());
    try (Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE rebound_item SET seq_nr = NULL");
    }
    write(5L, new ItemEntity.Cancelled("r", T));
    assertEquals("CANCELLED 0 #5", row());
  }
}
