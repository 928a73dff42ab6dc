package io.rebound.server.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * One configured bearer token. Only its SHA-256 digest is kept, so the value cannot end up in a
 * log, a heap dump's obvious places or an error message; {@link #toString} shows its name.
 */
public final class ApiToken {
  private final String name;
  private final Role role;
  private final byte[] digest;

  /**
   * @param name how logs and errors refer to it, e.g. {@code rebound.http.auth.tokens[0]}
   * @param value the secret, at least {@link AuthSettings#MIN_TOKEN_LENGTH} characters
   */
  ApiToken(String name, Role role, String value) {
    this.name = Objects.requireNonNull(name, "name");
    this.role = Objects.requireNonNull(role, "role");
    this.digest = digest(Objects.requireNonNull(value, "value"));
  }

  public String name() {
    return name;
  }

  public Role role() {
    return role;
  }

  /**
   * Whether {@code presentedDigest} is this token's digest. Digests have a fixed length and
   * {@link MessageDigest#isEqual} compares them in constant time, so timing tells nothing.
   */
  boolean matches(byte[] presentedDigest) {
    return MessageDigest.isEqual(digest, presentedDigest);
  }

  boolean sameValueAs(ApiToken other) {
    return MessageDigest.isEqual(digest, other.digest);
  }

  static byte[] digest(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "ApiToken[" + name + ", " + role.label() + "]";
  }
}
