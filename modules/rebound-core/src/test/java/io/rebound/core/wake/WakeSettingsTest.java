package io.rebound.core.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ReboundConfigException;
import org.junit.jupiter.api.Test;

/** The waiting line's size: a number, or sized from the heap ({@code auto}, the default). */
class WakeSettingsTest {
  private static final long GIB = 1024L * 1024 * 1024;

  private static Config config(String text) {
    return ConfigFactory.parseString(text).withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void autoGivesAsManyItemsAsTheHeapShareHoldsSplitBetweenTheQueues() {
    // 5% of 6 GiB at 8 KiB per waiting item.
    assertEquals(39_321, WakeSettings.autoWaiting(6 * GIB, 0.05, 1));
    assertEquals(19_660, WakeSettings.autoWaiting(6 * GIB, 0.05, 2));
    assertEquals(13_107, WakeSettings.autoWaiting(1 * GIB, 0.10, 1));
  }

  @Test
  void autoKeepsASmallHeapsLineAtTheFloorAndAHugeOnesAtTheCeiling() {
    assertEquals(WakeSettings.AUTO_MIN, WakeSettings.autoWaiting(64L * 1024 * 1024, 0.05, 20));
    assertEquals(WakeSettings.AUTO_MAX, WakeSettings.autoWaiting(1024 * GIB, 0.5, 1));
  }

  @Test
  void theDefaultIsSizedFromThisJvmsHeapAndTheConfiguredQueues() {
    WakeSettings wake = WakeSettings.from(config("rebound.queues { a {}, b {}, c {} }"));
    assertEquals(WakeSettings.autoWaiting(Runtime.getRuntime().maxMemory(), 0.05, 3), wake.maxWaitingPerQueue());
  }

  @Test
  void aNumberIsTakenAsItIs() {
    assertEquals(2_500, WakeSettings.from(config("rebound.backpressure.max-waiting-per-queue = 2500")).maxWaitingPerQueue());
  }

  @Test
  void anythingElseIsRefusedNamingTheKey() {
    ReboundConfigException wrong = assertThrows(ReboundConfigException.class,
        () -> WakeSettings.from(config("rebound.backpressure.max-waiting-per-queue = lots")));
    assertTrue(wrong.getMessage().contains("rebound.backpressure.max-waiting-per-queue"), wrong.getMessage());
    ReboundConfigException share = assertThrows(ReboundConfigException.class,
        () -> WakeSettings.from(config("rebound.backpressure.waiting-heap-share = 1.5")));
    assertTrue(share.getMessage().contains("rebound.backpressure.waiting-heap-share"), share.getMessage());
  }
}
