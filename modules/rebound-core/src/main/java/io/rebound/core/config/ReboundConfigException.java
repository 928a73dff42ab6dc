package io.rebound.core.config;

import com.typesafe.config.ConfigException;
import java.util.function.Supplier;

/** A configuration error; the message starts with the key that is wrong. */
public class ReboundConfigException extends RuntimeException {
  private final String key;

  public ReboundConfigException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  public String key() {
    return key;
  }

  /**
   * Runs one read of a config value, turning a failure (a wrong type, a missing key, a value a
   * builder rejects) into an error that names the key.
   */
  public static <T> T reading(String key, Supplier<T> reader) {
    try {
      return reader.get();
    } catch (ReboundConfigException e) {
      throw e;
    } catch (ConfigException e) {
      throw new ReboundConfigException(key, e.getMessage() == null ? "invalid" : e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ReboundConfigException(key, e.getMessage());
    }
  }
}
