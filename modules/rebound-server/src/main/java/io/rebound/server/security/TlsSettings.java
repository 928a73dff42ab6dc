package io.rebound.server.security;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * {@code rebound.http.tls}: HTTPS from a PKCS12 keystore holding the node's key and certificate
 * chain. The password is only used to open the store and never shown.
 */
public final class TlsSettings {
  public static final String KEY = "rebound.http.tls";

  private TlsSettings() {}

  /**
   * The server's TLS context, or empty when {@code rebound.http.tls.keystore} is empty.
   *
   * @throws ReboundConfigException naming the key, when the keystore cannot be opened
   */
  public static Optional<SSLContext> from(Config config) {
    String keystore = config.hasPath(KEY + ".keystore")
        ? ReboundConfigException.reading(KEY + ".keystore", () -> config.getString(KEY + ".keystore")) : "";
    if (keystore.isBlank()) {
      return Optional.empty();
    }
    char[] password = ReboundConfigException.reading(KEY + ".password", () -> config.getString(KEY + ".password")).toCharArray();
    String type = ReboundConfigException.reading(KEY + ".type", () -> config.getString(KEY + ".type"));
    KeyStore store;
    try (InputStream in = Files.newInputStream(Path.of(keystore))) {
      store = KeyStore.getInstance(type);
      store.load(in, password);
    } catch (Exception e) {
      // The class only: messages of a wrong password say little and may say too much.
      throw new ReboundConfigException(KEY + ".keystore", "cannot open " + keystore + " as " + type
          + " with the configured password (" + e.getClass().getSimpleName() + ")");
    }
    try {
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(keys.getKeyManagers(), null, null);
      return Optional.of(tls);
    } catch (Exception e) {
      throw new ReboundConfigException(KEY + ".keystore", keystore + " holds no usable key (" + e.getClass().getSimpleName() + ")");
    }
  }
}
