package io.rebound.core.crypto;

import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.jackson.JacksonCborSerializer;

/**
 * Jackson CBOR, sealed with AES-GCM under the node's current key ({@link KeyRing}). Bound to the
 * items' events only when {@code rebound.encryption.key-file} is set ({@link Encryption}), so a
 * node without a key writes exactly what it wrote before. Events written before encryption was
 * turned on keep Jackson's serializer id in the journal and are read by Jackson as ever.
 */
public final class EncryptingSerializer extends SerializerWithStringManifest {
  /** Stored with every event this serializer wrote; must never change. */
  public static final int IDENTIFIER = 7_411_301;

  private final JacksonCborSerializer cbor;
  private final KeyRing keys;

  public EncryptingSerializer(ExtendedActorSystem system) {
    this.cbor = new JacksonCborSerializer(system, "jackson-cbor");
    // Registered always, so that a node started without its key says so instead of "no serializer".
    this.keys = KeyRing.from(system.settings().config()).orElse(null);
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    return cbor.manifest(o);
  }

  @Override
  public byte[] toBinary(Object o) {
    if (keys == null) {
      throw new IllegalStateException("rebound.encryption.key-file is not set: cannot encrypt " + o.getClass().getName());
    }
    return keys.seal(cbor.toBinary(o), context(cbor.manifest(o)));
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (keys == null) {
      throw new NotSerializableException("an encrypted " + manifest + " needs its key: set rebound.encryption.key-file (and old-key-files)");
    }
    try {
      return cbor.fromBinary(keys.open(bytes, context(manifest)), manifest);
    } catch (IllegalArgumentException e) {
      throw new NotSerializableException(manifest + ": " + e.getMessage());
    }
  }

  /** The event type is part of what the tag authenticates. */
  private static byte[] context(String manifest) {
    return manifest.getBytes(StandardCharsets.UTF_8);
  }
}
