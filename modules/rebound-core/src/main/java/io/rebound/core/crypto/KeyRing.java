package io.rebound.core.crypto;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES keys of {@code rebound.encryption}: the current one encrypts, every one (current and
 * old) decrypts what it encrypted, found by key id. A key file holds a base64 AES key of 16, 24
 * or 32 bytes ({@code openssl rand -base64 32}); its id is the first 8 bytes of the key's
 * SHA-256, in hex, so no id has to be configured and none can be wrong.
 *
 * <p>Sealed format: {@code 0x01 | id length | id (ASCII) | 12-byte random IV | AES-GCM
 * ciphertext with its 16-byte tag}; the version, id and the caller's context are the GCM
 * associated data, so a record cannot be moved to another key id or event type unnoticed.
 */
public final class KeyRing {
  public static final String KEY_FILE = "rebound.encryption.key-file";
  public static final String OLD_KEY_FILES = "rebound.encryption.old-key-files";
  static final byte VERSION = 1;
  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String currentId;
  private final Map<String, SecretKey> keys;

  private KeyRing(String currentId, Map<String, SecretKey> keys) {
    this.currentId = currentId;
    this.keys = Map.copyOf(keys);
  }

  /**
   * The keys the config names, or empty when {@code rebound.encryption.key-file} is empty.
   *
   * @throws ReboundConfigException naming the key, when a file is missing or not a key
   */
  public static Optional<KeyRing> from(Config config) {
    String current = config.hasPath(KEY_FILE) ? ReboundConfigException.reading(KEY_FILE, () -> config.getString(KEY_FILE)) : "";
    List<String> old = config.hasPath(OLD_KEY_FILES)
        ? ReboundConfigException.reading(OLD_KEY_FILES, () -> config.getStringList(OLD_KEY_FILES)) : List.of();
    if (current.isBlank()) {
      if (!old.isEmpty()) {
        throw new ReboundConfigException(KEY_FILE, "is empty, but old-key-files are set: the current key encrypts, old keys only decrypt");
      }
      return Optional.empty();
    }
    Map<String, SecretKey> keys = new LinkedHashMap<>();
    SecretKey key = readKey(current, KEY_FILE);
    String id = idOf(key);
    keys.put(id, key);
    for (int i = 0; i < old.size(); i++) {
      SecretKey k = readKey(old.get(i), OLD_KEY_FILES + "[" + i + "]");
      keys.putIfAbsent(idOf(k), k);
    }
    return Optional.of(new KeyRing(id, keys));
  }

  /** A ring of raw keys, the first the current one (tests, tools). */
  public static KeyRing of(byte[] current, byte[]... old) {
    Map<String, SecretKey> keys = new LinkedHashMap<>();
    SecretKey key = aes(current, "key");
    keys.put(idOf(key), key);
    for (byte[] o : old) {
      SecretKey k = aes(o, "old key");
      keys.putIfAbsent(idOf(k), k);
    }
    return new KeyRing(idOf(key), keys);
  }

  /** The id new records are sealed with. */
  public String currentId() {
    return currentId;
  }

  /** Encrypts under the current key; {@code context} must be given again to open it. */
  public byte[] seal(byte[] plain, byte[] context) {
    byte[] id = currentId.getBytes(StandardCharsets.US_ASCII);
    byte[] iv = new byte[IV_BYTES];
    RANDOM.nextBytes(iv);
    int header = 2 + id.length;
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, keys.get(currentId), new GCMParameterSpec(TAG_BITS, iv));
      byte[] out = new byte[header + IV_BYTES + c.getOutputSize(plain.length)];
      out[0] = VERSION;
      out[1] = (byte) id.length;
      System.arraycopy(id, 0, out, 2, id.length);
      System.arraycopy(iv, 0, out, header, IV_BYTES);
      c.updateAAD(out, 0, header);
      c.updateAAD(context);
      c.doFinal(plain, 0, plain.length, out, header + IV_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt with AES/GCM (key " + currentId + ")", e);
    }
  }

  /**
   * Decrypts a sealed record with the key its id names.
   *
   * @throws IllegalArgumentException when the record is not sealed, its key is not in the ring,
   *     or it was changed (the message names the key id, never any content)
   */
  public byte[] open(byte[] sealed, byte[] context) {
    if (sealed.length < 2 || sealed[0] != VERSION || sealed.length < 2 + (sealed[1] & 0xff) + IV_BYTES + TAG_BITS / 8) {
      throw new IllegalArgumentException("not a record sealed by Rebound (format " + (sealed.length > 0 ? sealed[0] : -1) + ")");
    }
    int idLength = sealed[1] & 0xff;
    String id = new String(sealed, 2, idLength, StandardCharsets.US_ASCII);
    SecretKey key = keys.get(id);
    if (key == null) {
      throw new IllegalArgumentException("encrypted with key " + id + ", which is not configured: add its file to " + OLD_KEY_FILES);
    }
    int header = 2 + idLength;
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, header, IV_BYTES));
      c.updateAAD(sealed, 0, header);
      c.updateAAD(context);
      return c.doFinal(sealed, header + IV_BYTES, sealed.length - header - IV_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot decrypt a record of key " + id + ": it was changed, or belongs elsewhere");
    }
  }

  private static SecretKey readKey(String file, String configKey) {
    String text;
    try {
      text = Files.readString(Path.of(file), StandardCharsets.US_ASCII).strip();
    } catch (IOException | RuntimeException e) {
      throw new ReboundConfigException(configKey, "cannot read the key file " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    byte[] raw;
    try {
      raw = Base64.getMimeDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new ReboundConfigException(configKey, file + " is not a base64 key (generate one with: openssl rand -base64 32)");
    }
    try {
      return aes(raw, file);
    } catch (IllegalArgumentException e) {
      throw new ReboundConfigException(configKey, e.getMessage());
    }
  }

  private static SecretKey aes(byte[] raw, String what) {
    if (raw.length != 16 && raw.length != 24 && raw.length != 32) {
      throw new IllegalArgumentException(what + " must hold 16, 24 or 32 bytes of key (base64), has " + raw.length
          + " (generate one with: openssl rand -base64 32)");
    }
    return new SecretKeySpec(raw, "AES");
  }

  static String idOf(SecretKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "KeyRing[current " + currentId + ", " + keys.size() + " keys]";
  }
}
