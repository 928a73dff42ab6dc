package io.rebound.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ReboundConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyRingTest {
  private static final byte[] A = key(1);
  private static final byte[] B = key(2);
  private static final byte[] CONTEXT = "Event".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  private static byte[] key(int seed) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) seed);
    return k;
  }

  @Test
  void aSealedRecordOpensAgainAndHidesItsContent() {
    KeyRing ring = KeyRing.of(A);
    byte[] plain = "{\"secret\":\"MARKER-1\"}".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = ring.seal(plain, CONTEXT);
    assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("MARKER-1"));
    assertTrue(new String(sealed, StandardCharsets.ISO_8859_1).contains(ring.currentId()), "the key id is in the clear");
    assertArrayEquals(plain, ring.open(sealed, CONTEXT));
    assertFalse(Arrays.equals(sealed, ring.seal(plain, CONTEXT)), "a fresh IV every time");
  }

  @Test
  void afterRotationOldRecordsOpenWithTheOldKeyAndNewOnesUseTheNew() {
    byte[] old = KeyRing.of(A).seal(new byte[] {1, 2, 3}, CONTEXT);
    KeyRing rotated = KeyRing.of(B, A);
    assertArrayEquals(new byte[] {1, 2, 3}, rotated.open(old, CONTEXT));
    assertNotEquals(KeyRing.of(A).currentId(), rotated.currentId());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyRing.of(B).open(old, CONTEXT));
    assertTrue(e.getMessage().contains(KeyRing.of(A).currentId()) && e.getMessage().contains("old-key-files"), e.getMessage());
  }

  @Test
  void aChangedRecordOrAnotherContextDoesNotOpen() {
    KeyRing ring = KeyRing.of(A);
    byte[] sealed = ring.seal(new byte[] {1, 2, 3}, CONTEXT);
    sealed[sealed.length - 1] ^= 1;
    assertThrows(IllegalArgumentException.class, () -> ring.open(sealed, CONTEXT));
    byte[] other = ring.seal(new byte[] {1, 2, 3}, CONTEXT);
    assertThrows(IllegalArgumentException.class, () -> ring.open(other, "Other".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IllegalArgumentException.class, () -> ring.open(new byte[] {(byte) 0xa1, 0x60}, CONTEXT));
  }

  @Test
  void keysComeFromBase64FilesAndBadOnesNameTheirKey() throws Exception {
    Path a = Files.writeString(dir.resolve("a.key"), Base64.getEncoder().encodeToString(A) + "\n");
    Path b = Files.writeString(dir.resolve("b.key"), Base64.getEncoder().encodeToString(B));
    KeyRing ring = KeyRing.from(ConfigFactory.parseString(
        "rebound.encryption { key-file = \"%s\", old-key-files = [\"%s\"] }".formatted(p(b), p(a)))).orElseThrow();
    assertEquals(KeyRing.of(B).currentId(), ring.currentId());
    assertArrayEquals(new byte[] {7}, ring.open(KeyRing.of(A).seal(new byte[] {7}, CONTEXT), CONTEXT));

    assertTrue(KeyRing.from(ConfigFactory.parseString("rebound.encryption.key-file = \"\"")).isEmpty());
    Path shortKey = Files.writeString(dir.resolve("short.key"), Base64.getEncoder().encodeToString(new byte[5]));
    assertEquals(KeyRing.KEY_FILE, assertThrows(ReboundConfigException.class, () -> KeyRing.from(ConfigFactory.parseString(
        "rebound.encryption.key-file = \"%s\"".formatted(p(shortKey))))).key());
    assertEquals(KeyRing.OLD_KEY_FILES + "[0]", assertThrows(ReboundConfigException.class, () -> KeyRing.from(ConfigFactory.parseString(
        "rebound.encryption { key-file = \"%s\", old-key-files = [\"/no/such.key\"] }".formatted(p(a))))).key());
    assertEquals(KeyRing.KEY_FILE, assertThrows(ReboundConfigException.class, () -> KeyRing.from(ConfigFactory.parseString(
        "rebound.encryption { key-file = \"\", old-key-files = [\"%s\"] }".formatted(p(a))))).key());
  }

  private static String p(Path path) {
    return path.toString().replace("\\", "/");
  }
}
