package io.rebound.core.config;

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
}
