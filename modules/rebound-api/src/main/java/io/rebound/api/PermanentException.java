package io.rebound.api;

/** A failure no retry can fix (a malformed payload, say): the item goes straight to the dead letters. */
public class PermanentException extends RuntimeException {
  public PermanentException(String message) {
    super(message);
  }

  public PermanentException(String message, Throwable cause) {
    super(message, cause);
  }
}
