package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.config.QueueSettings;
import io.rebound.core.item.ItemEntity;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IndexStallTest {
  /** The wake settings of reference.conf, for each row's wake_after. */
  static final io.rebound.core.wake.WakeRule WAKE =
      io.rebound.core.wake.WakeSettings.from(com.typesafe.config.ConfigFactory.load()).rule();


  @Test
  void textPostgresRefusesIsMadeStorableAndOtherValuesAreLeftAlone() {
    assertEquals("a\uFFFDb", IndexUpdates.storable("a\u0000b"));
    assertEquals("x\uFFFD", IndexUpdates.storable("x\uD800"));
    assertEquals("\uFFFDy", IndexUpdates.storable("\uDC00y"));
    assertEquals("🔑 ok", IndexUpdates.storable("🔑 ok"));
    String plain = "plain";
    assertTrue(plain == IndexUpdates.storable(plain), "no copy when nothing changes");
    assertEquals(42, IndexUpdates.storable(42));
  }

  @Test
  void aSliceIsFailingOnlyAfterThreeFailedGroupsInARowAndRecoversWithOneGoodGroup() {
    ProjectionHealth health = new ProjectionHealth();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    health.failed("item-1", new SQLException("invalid byte sequence"), t);
    health.failed("item-1", new SQLException("invalid byte sequence"), t.plusSeconds(3));
    assertEquals(List.of(), health.failing());
    health.failed("item-1", new SQLException("invalid byte sequence for encoding \"UTF8\": 0x00"), t.plusSeconds(9));
    assertEquals(List.of(new ProjectionHealth.Failing("item-1", 3, t, "invalid byte sequence for encoding \"UTF8\": 0x00")),
        health.failing());
    health.succeeded("item-1");
    assertEquals(List.of(), health.failing());
  }

  @Test
  void aHandlerThatCannotWriteItsGroupReportsTheFailureAndTheAlertsNameTheSlice() {
    ProjectionHealth health = new ProjectionHealth();
    IndexProjection.Handler handler = new IndexProjection.Handler(false, WAKE, health, "item-2");
    // No rebound_item table: every write of the group fails, as a refused value would.
    IndexSession broken;
    try {
      broken = new IndexSession(java.sql.DriverManager.getConnection("jdbc:h2:mem:stall-" + System.nanoTime()));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    var envelope = org.apache.pekko.projection.eventsourced.EventEnvelope.<ItemEntity.Event>create(
        org.apache.pekko.persistence.query.Offset.sequence(1), "Item|x", 1,
        new ItemEntity.Cancelled("r", Instant.now()), 0L);
    IndexSession finalBroken = broken;
    for (int i = 0; i < 3; i++) {
      assertThrows(SQLException.class, () -> handler.process(finalBroken, List.of(envelope)));
    }
    Alerts alerts = new Alerts(null, Map.<String, QueueSettings>of(), null, Clock.systemUTC(), health, () -> java.time.Duration.ZERO);
    List<Alerts.Alert> stalled = alerts.indexStalled();
    assertEquals(1, stalled.size());
    assertEquals("index-stalled", stalled.get(0).type());
    assertTrue(stalled.get(0).message().contains("slice item-2"), stalled.get(0).message());
  }
}
