package io.rebound.server.security;

import com.typesafe.config.Config;
import io.rebound.core.config.ReboundConfigException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code rebound.http.allowed-hosts}: the names a request's {@code Host} header may give. A web
 * page that rebinds its own DNS name to 127.0.0.1 (DNS rebinding) reaches the node with its own
 * name in {@code Host}, so answering only the node's names keeps such pages out even on an open
 * node. Empty (the default) means the bind host plus {@code localhost}, {@code 127.0.0.1} and
 * {@code [::1]}; a node bound to a wildcard address ({@code 0.0.0.0}, {@code ::}), which needs
 * tokens anyway, then accepts any name. {@code ["*"]} accepts any name.
 */
public final class HostSettings {
  public static final String KEY = "rebound.http.allowed-hosts";
  static final List<String> LOOPBACK_NAMES = List.of("localhost", "127.0.0.1", "[::1]");

  private final Set<String> hosts;
  private final boolean any;
  /** Whether the names were listed in config (not the defaults). */
  private final boolean listed;

  private HostSettings(Set<String> hosts, boolean any, boolean listed) {
    this.hosts = Set.copyOf(hosts);
    this.any = any;
    this.listed = listed;
  }

  /** Any Host is answered (the check is off). */
  public static HostSettings any() {
    return new HostSettings(Set.of(), true, false);
  }

  /** The default for a node bound to {@code bindHost}, as with an empty {@code allowed-hosts}. */
  public static HostSettings forBindHost(String bindHost) {
    return of(bindHost, List.of());
  }

  /** @param configured names or addresses without a port; {@code "*"} is any; empty is the default */
  public static HostSettings of(String bindHost, List<String> configured) {
    if (configured.contains("*")) {
      return any();
    }
    Set<String> hosts = new LinkedHashSet<>();
    if (configured.isEmpty()) {
      String bind = normalize(bindHost);
      if (bind.equals("0.0.0.0") || bind.equals("[::]") || bind.equals("[0:0:0:0:0:0:0:0]")) {
        return any();
      }
      hosts.add(bind);
      hosts.addAll(LOOPBACK_NAMES);
    } else {
      for (String h : configured) {
        String n = normalize(h);
        if (n.isEmpty() || n.contains("/") || n.indexOf(':') >= 0 && !n.startsWith("[")) {
          throw new ReboundConfigException(KEY, "must list host names or addresses without a port (or \"*\"), was \"" + h + "\"");
        }
        hosts.add(n);
      }
    }
    return new HostSettings(hosts, false, !configured.isEmpty());
  }

  public static HostSettings from(Config config, String bindHost) {
    List<String> configured = config.hasPath(KEY) ? ReboundConfigException.reading(KEY, () -> config.getStringList(KEY)) : List.of();
    return of(bindHost, configured);
  }

  /**
   * Whether a request whose {@code Host} header is {@code hostHeader} (with or without a port) is
   * answered. A request without the header (HTTP/1.0) is: browsers always send one.
   */
  public boolean allows(String hostHeader) {
    if (any || hostHeader == null || hostHeader.isBlank()) {
      return true;
    }
    return hosts.contains(normalize(withoutPort(hostHeader.strip())));
  }

  /**
   * Whether a browser page at {@code origin} ({@code scheme://host[:port]}) is one of the node's
   * own names as listed in config, e.g. its public name behind a proxy that rewrites {@code Host}.
   * The default names do not count: another program's page on localhost is another site.
   */
  public boolean listsOrigin(String origin) {
    if (!listed || origin == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    if (scheme < 0) {
      return false;
    }
    return hosts.contains(normalize(withoutPort(origin.substring(scheme + 3))));
  }

  public boolean checks() {
    return !any;
  }

  /** {@code host:port} to {@code host}; {@code [v6]:port} to {@code [v6]}. */
  static String withoutPort(String hostHeader) {
    if (hostHeader.startsWith("[")) {
      int close = hostHeader.indexOf(']');
      return close < 0 ? hostHeader : hostHeader.substring(0, close + 1);
    }
    int colon = hostHeader.indexOf(':');
    return colon < 0 ? hostHeader : hostHeader.substring(0, colon);
  }

  /** Lower case, no trailing dot, IPv6 literals in brackets. */
  static String normalize(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (!h.startsWith("[") && h.indexOf(':') >= 0 && h.indexOf(':') != h.lastIndexOf(':')) {
      h = "[" + h + "]";
    }
    return h;
  }

  @Override
  public String toString() {
    return any ? "HostSettings[any]" : "HostSettings" + hosts;
  }
}
