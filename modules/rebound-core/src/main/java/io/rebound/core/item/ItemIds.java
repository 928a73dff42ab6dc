package io.rebound.core.item;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Item ids are UUIDs. An item with a dedup key gets a name-based id from (queue, key), so that
 * enqueueing the same key twice reaches the same entity; one without a key gets a time-ordered
 * (version 7) id, so new journal rows land near each other in the primary key.
 */
public final class ItemIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ItemIds() {}

  public static String forKey(String queue, String key) {
    return UUID.nameUUIDFromBytes((queue + '\u0000' + key).getBytes(StandardCharsets.UTF_8)).toString();
  }

  public static String random() {
    long millis = System.currentTimeMillis();
    long msb = (millis << 16) | 0x7000L | (RANDOM.nextInt() & 0x0FFFL);
    long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  /** True for the canonical lower-case form this class hands out. */
  public static boolean isValid(String id) {
    if (id == null || id.length() != 36) {
      return false;
    }
    try {
      return UUID.fromString(id).toString().equals(id);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
