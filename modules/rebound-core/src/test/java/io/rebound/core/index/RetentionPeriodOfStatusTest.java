package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rebound.core.config.RetentionPeriods;
import io.rebound.core.item.ItemStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which retention period the purge applies to an item of each status. */
class RetentionPeriodOfStatusTest {

  @Test
  void eachTerminalStatusMapsToItsOwnPeriod() {
    RetentionPeriods r = RetentionPeriods.builder()
        .succeeded(Duration.ofHours(1)).deadLettered(Duration.ofHours(2)).cancelled(Duration.ofHours(3)).build();

    assertEquals(Duration.ofHours(1), RetentionPurge.periodOf(r, ItemStatus.SUCCEEDED));
    assertEquals(Duration.ofHours(2), RetentionPurge.periodOf(r, ItemStatus.DEAD_LETTERED));
    assertEquals(Duration.ofHours(3), RetentionPurge.periodOf(r, ItemStatus.CANCELLED));
  }

  @ParameterizedTest(name = "{0} has no retention period")
  @EnumSource(value = ItemStatus.class, names = {"PENDING", "RUNNING", "WAITING", "PARKED"})
  void aStatusThatIsNotTerminalHasNoRetentionPeriod(ItemStatus status) {
    assertThrows(IllegalArgumentException.class, () -> RetentionPurge.periodOf(RetentionPeriods.defaults(), status));
  }
}
