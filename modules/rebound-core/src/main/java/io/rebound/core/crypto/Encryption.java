package io.rebound.core.crypto;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns payload encryption at rest on when {@code rebound.encryption.key-file} is set. */
public final class Encryption {
  /** Events that hold payloads and handler errors (which may quote them): every item event. */
  static final String EVENTS = "io.rebound.core.item.ItemEntity$Event";
  private static final String EVENTS_PREFIX = "io.rebound.core.item.ItemEntity$";
  private static final String ALLOWED = "pekko.serialization.jackson.allowed-class-prefix";
  /** What the read side stores as last_error while encryption is on; the item has the message. */
  public static final String REDACTED_ERROR = "(encrypted: read the item for the message)";

  private Encryption() {}

  public static boolean enabled(Config config) {
    return config.hasPath(KeyRing.KEY_FILE) && !config.getString(KeyRing.KEY_FILE).isBlank();
  }

  /**
   * The Pekko settings that bind the items' events to {@link EncryptingSerializer}, or an empty
   * config without a key. Reads the key files once, so a bad one fails the start naming its key.
   */
  public static Config pekkoConfig(Config resolved) {
    if (KeyRing.from(resolved).isEmpty()) {
      return ConfigFactory.empty();
    }
    // Jackson only reads classes bound to it: events written before encryption (Jackson's
    // serializer id in the journal) must stay readable, and the encrypting one wraps Jackson too.
    List<String> allowed = new ArrayList<>(resolved.hasPath(ALLOWED) ? resolved.getStringList(ALLOWED) : List.of());
    allowed.add(EVENTS_PREFIX);
    // Quoted: the class name's dots are not a path. More specific than CborSerializable, so it wins.
    return ConfigFactory.parseString("pekko.actor.serialization-bindings { \"" + EVENTS + "\" = rebound-encrypted }")
        .withFallback(ConfigFactory.parseMap(Map.of(ALLOWED, allowed)));
  }
}
