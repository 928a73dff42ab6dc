package io.rebound.core.tools;

import com.typesafe.config.Config;
import io.rebound.api.ToolProbe;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.config.ToolSettings;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/** Builds a tool's probe from its {@code probe} block. Keys are relative to that block in errors. */
final class Probes {
  private Probes() {}

  static ToolProbe create(ToolSettings t, Supplier<Instant> clock) {
    Config p = t.probe();
    String type = p.hasPath("type") ? p.getString("type") : "";
    return switch (type) {
      case "http" -> http(p, t.timeout());
      case "tcp" -> tcp(p, t.timeout());
      case "java" -> java(p);
      case "simulated" -> simulated(p, clock);
      default -> throw new ReboundConfigException("probe.type", "must be http, tcp, java or simulated, was '" + type + "'");
    };
  }

  /** GET the URL: any 2xx answer means up. */
  private static ToolProbe http(Config p, Duration timeout) {
    URI url = uri(p);
    HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
    HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
    return () -> {
      int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status < 200 || status > 299) {
        throw new IllegalStateException("HTTP " + status + " from " + url);
      }
    };
  }

  private static URI uri(Config p) {
    if (!p.hasPath("url")) {
      throw new ReboundConfigException("probe.url", "the http probe needs a URL");
    }
    try {
      URI u = URI.create(p.getString("url"));
      if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
        throw new IllegalArgumentException("not an absolute http(s) URL");
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw new ReboundConfigException("probe.url", "'" + p.getString("url") + "' is not an absolute http(s) URL");
    }
  }

  /** Opens a TCP connection: accepted means up. */
  private static ToolProbe tcp(Config p, Duration timeout) {
    if (!p.hasPath("host") || !p.hasPath("port")) {
      throw new ReboundConfigException("probe." + (p.hasPath("host") ? "port" : "host"), "the tcp probe needs host and port");
    }
    String host = p.getString("host");
    int port;
    try {
      port = p.getInt("port");
    } catch (com.typesafe.config.ConfigException e) {
      throw new ReboundConfigException("probe.port", "must be a number between 1 and 65535");
    }
    if (port < 1 || port > 65535) {
      throw new ReboundConfigException("probe.port", "must be between 1 and 65535, was " + port);
    }
    return () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      }
    };
  }

  private static ToolProbe java(Config p) {
    if (!p.hasPath("class")) {
      throw new ReboundConfigException("probe.class", "the java probe needs a class implementing io.rebound.api.ToolProbe");
    }
    String name = p.getString("class");
    try {
      Class<?> cls = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
      if (!ToolProbe.class.isAssignableFrom(cls)) {
        throw new ReboundConfigException("probe.class", name + " does not implement io.rebound.api.ToolProbe");
      }
      return (ToolProbe) cls.getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new ReboundConfigException("probe.class", "class " + name + " is not on the classpath");
    } catch (ReflectiveOperationException e) {
      throw new ReboundConfigException("probe.class", "cannot create " + name + ": " + e);
    }
  }

  /** For demos and tests: down from {@code down-after} after start, for {@code down-for}. */
  private static ToolProbe simulated(Config p, Supplier<Instant> clock) {
    Duration after = p.hasPath("down-after") ? p.getDuration("down-after") : Duration.ZERO;
    Duration length = p.hasPath("down-for") ? p.getDuration("down-for") : Duration.ZERO;
    Instant start = clock.get();
    return () -> {
      Duration since = Duration.between(start, clock.get());
      if (since.compareTo(after) >= 0 && since.compareTo(after.plus(length)) < 0) {
        throw new IllegalStateException("simulated outage");
      }
    };
  }
}
