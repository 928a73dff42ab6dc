package io.rebound.server.security;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.rebound.core.config.ReboundConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The tokens of the HTTP API ({@code rebound.http.auth.tokens}). With none, the API is open,
 * which a node only allows on a loopback address. Immutable; built from config or a builder.
 */
public final class AuthSettings {
  public static final String KEY = "rebound.http.auth.tokens";
  /** Shorter secrets are guessable; {@code openssl rand -hex 32} gives 64 characters. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private final List<ApiToken> tokens;

  private AuthSettings(List<ApiToken> tokens) {
    this.tokens = List.copyOf(tokens);
  }

  public static AuthSettings open() {
    return new AuthSettings(List.of());
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads {@code rebound.http.auth.tokens}: a list of {@code {token = "...", role = ...}} or
   * {@code {token-file = "...", role = ...}}. An entry with neither (an unset {@code ${?ENV}})
   * is skipped; but a list whose every entry is skipped is an error, since it would leave the API
   * open when tokens were meant (a typo, a variable not set in this environment).
   *
   * @throws ReboundConfigException naming the entry's key, never the token's value
   */
  public static AuthSettings from(Config config) {
    if (!config.hasPath(KEY)) {
      return open();
    }
    List<? extends Config> entries = ReboundConfigException.reading(KEY, () -> config.getConfigList(KEY));
    Builder b = builder();
    int skipped = 0;
    for (int i = 0; i < entries.size(); i++) {
      Config e = entries.get(i);
      String name = KEY + "[" + i + "]";
      boolean inline = e.hasPath("token");
      boolean file = e.hasPath("token-file");
      if (inline && file) {
        throw new ReboundConfigException(name, "give token or token-file, not both");
      }
      if (!inline && !file) {
        skipped++;
        continue;
      }
      Role role = ReboundConfigException.reading(name + ".role", () -> Role.parse(e.hasPath("role") ? e.getString("role") : null));
      String value = inline ? string(e, "token", name) : readFile(string(e, "token-file", name), name);
      b.token(name, role, value);
    }
    if (!entries.isEmpty() && skipped == entries.size()) {
      throw new ReboundConfigException(KEY, "no entry has a token or token-file (unset environment variables?): "
          + "the API would run open; set one, or remove rebound.http.auth.tokens to run open on purpose");
    }
    return b.build();
  }

  private static String string(Config e, String field, String name) {
    try {
      return e.getString(field);
    } catch (ConfigException ex) {
      // The message of a wrong type would not carry the value, but say less to be sure.
      throw new ReboundConfigException(name + "." + field, "must be a string");
    }
  }

  private static String readFile(String file, String name) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
    } catch (IOException | RuntimeException ex) {
      throw new ReboundConfigException(name + ".token-file", "cannot read " + file + " (" + ex.getClass().getSimpleName() + ")");
    }
  }

  /** Whether requests need a token; false means the API is open. */
  public boolean enabled() {
    return !tokens.isEmpty();
  }

  public List<ApiToken> tokens() {
    return tokens;
  }

  /**
   * The token whose value was presented, if any. Every token is compared, each in constant
   * time, so how long it takes does not tell which one (or how much of one) matched.
   */
  public Optional<ApiToken> authenticate(String presented) {
    if (presented == null || presented.isEmpty()) {
      return Optional.empty();
    }
    byte[] digest = ApiToken.digest(presented);
    ApiToken found = null;
    for (ApiToken t : tokens) {
      if (t.matches(digest) && found == null) {
        found = t;
      }
    }
    return Optional.ofNullable(found);
  }

  /**
   * Refuses an open API on any address but loopback.
   *
   * @throws ReboundConfigException naming {@code rebound.http.auth.tokens}
   */
  public void checkBinding(String host) {
    if (enabled() || isLoopback(host)) {
      return;
    }
    throw new ReboundConfigException(KEY, "the HTTP API binds " + host + ", which is not a loopback address: configure at least"
        + " one token (see docs/SECURITY.md), or bind rebound.http.host = \"127.0.0.1\"");
  }

  static boolean isLoopback(String host) {
    try {
      // Every address the name resolves to must be loopback (0.0.0.0 binds them all).
      InetAddress[] all = InetAddress.getAllByName(host);
      for (InetAddress a : all) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return all.length > 0;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "AuthSettings" + tokens;
  }

  /** Validates each token as it is added; the error names the token, never its value. */
  public static final class Builder {
    private final List<ApiToken> tokens = new ArrayList<>();

    private Builder() {}

    /** @param name how errors refer to it, e.g. its config key */
    public Builder token(String name, Role role, String value) {
      if (value == null || value.strip().length() < MIN_TOKEN_LENGTH) {
        throw new ReboundConfigException(name, "a token must have at least " + MIN_TOKEN_LENGTH
            + " characters (generate one with: openssl rand -hex 32)");
      }
      if (!value.equals(value.strip())) {
        throw new ReboundConfigException(name, "a token must not start or end with whitespace");
      }
      ApiToken t = new ApiToken(name, role, value);
      for (ApiToken other : tokens) {
        if (other.sameValueAs(t)) {
          throw new ReboundConfigException(name, "has the same value as " + other.name());
        }
      }
      tokens.add(t);
      return this;
    }

    public AuthSettings build() {
      return new AuthSettings(tokens);
    }
  }
}
