package io.rebound.server.node;

import com.typesafe.config.Config;
import io.rebound.core.Rebound;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.handler.Handlers;
import io.rebound.server.handlers.HttpHandler;
import io.rebound.server.handlers.ProcessHandler;
import io.rebound.server.http.ApiSettings;
import io.rebound.server.http.HttpApi;
import io.rebound.server.security.AuthSettings;
import io.rebound.server.security.RateLimitSettings;
import io.rebound.server.security.RateLimiter;
import io.rebound.server.security.TlsSettings;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.ServerBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.management.javadsl.PekkoManagement;

/** A running node: the embedded engine, its HTTP API and Pekko Management. */
public final class NodeServer implements AutoCloseable {
  private final Rebound rebound;
  private final ServerBinding binding;
  private final String managementUrl;
  private final boolean https;

  private NodeServer(Rebound rebound, ServerBinding binding, String managementUrl, boolean https) {
    this.https = https;
    this.rebound = rebound;
    this.binding = binding;
    this.managementUrl = managementUrl;
  }

  /** The handler types a node offers in config: the core's plus http and process, with the defaults of reference.conf. */
  public static Handlers handlerTypes() {
    return handlerTypes(com.typesafe.config.ConfigFactory.defaultReference());
  }

  /** As {@link #handlerTypes()}, with the process handlers' defaults ({@code rebound.process-handler}) of {@code config}. */
  public static Handlers handlerTypes(Config config) {
    return new Handlers()
        .with("http", HttpHandler.KEYS, HttpHandler::fromConfig)
        .with("process", ProcessHandler.KEYS, ProcessHandler.factory(config));
  }

  /**
   * Starts the engine, binds the HTTP API and starts Pekko Management.
   *
   * @throws ReboundConfigException naming the key, when the config is wrong
   */
  public static NodeServer start(Config config) {
    Config resolved = Rebound.withDefaults(config);
    // Unknown keys first: a misspelled rebound.http key would otherwise pass unnoticed below.
    Rebound.configCheck(handlerTypes()).enforce(resolved);
    String host = ReboundConfigException.reading("rebound.http.host", () -> resolved.getString("rebound.http.host"));
    int port = ReboundConfigException.reading("rebound.http.port", () -> resolved.getInt("rebound.http.port"));
    long maxPayload = ReboundConfigException.reading("rebound.http.max-payload", () -> resolved.getBytes("rebound.http.max-payload"));
    int maxBatch = ReboundConfigException.reading("rebound.http.max-batch", () -> resolved.getInt("rebound.http.max-batch"));
    Duration deadline = ReboundConfigException.reading("rebound.http.unbind-deadline", () -> resolved.getDuration("rebound.http.unbind-deadline"));
    if (port < 0 || port > 65535) {
      throw new ReboundConfigException("rebound.http.port", "must be between 0 and 65535, was " + port);
    }
    if (maxPayload < 1 || maxBatch < 1) {
      throw new ReboundConfigException(maxPayload < 1 ? "rebound.http.max-payload" : "rebound.http.max-batch", "must be positive");
    }
    ApiSettings apiSettings = ApiSettings.from(resolved, host);
    AuthSettings auth = AuthSettings.from(resolved);
    auth.checkBinding(host);
    RateLimitSettings rateLimit = RateLimitSettings.from(resolved);
    Optional<SSLContext> tls = TlsSettings.from(resolved);
    Rebound rebound = Rebound.start(resolved, Map.of(), handlerTypes(resolved));
    String step = "bind the HTTP API on " + host + ":" + port;
    try {
      HttpApi api = new HttpApi(rebound, apiSettings, auth, new RateLimiter(rateLimit));
      ServerBuilder server = Http.get(rebound.system()).newServerAt(host, port);
      if (tls.isPresent()) {
        server = server.enableHttps(ConnectionContext.httpsServer(tls.get()));
      }
      ServerBinding binding = server
          // The peer's address, for the rate limit of an open API; no warnings that quote an
          // illegal header's value, which for Authorization would log a token.
          .adaptSettings(s -> s.withRemoteAddressAttribute(true)
              .withParserSettings(s.getParserSettings().withIllegalHeaderWarnings(false)))
          .bind(api.route())
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS)
          // Unbinds in CoordinatedShutdown's service-unbind phase, before items are drained.
          .addToCoordinatedShutdown(deadline, rebound.system());
      step = "start Pekko Management on port " + resolved.getInt("pekko.management.http.port");
      String management = PekkoManagement.get(Adapter.toClassic(rebound.system())).start()
          .toCompletableFuture().get(30, TimeUnit.SECONDS).toString();
      return new NodeServer(rebound, binding, management, tls.isPresent());
    } catch (Exception e) {
      rebound.close();
      throw new IllegalStateException("cannot " + step + ": " + rootMessage(e), e);
    }
  }

  public Rebound rebound() {
    return rebound;
  }

  /** The port the HTTP API is bound to (useful with port 0). */
  public int port() {
    return binding.localAddress().getPort();
  }

  /** Pekko Management: /ready, /alive, /cluster/members. */
  public String managementUrl() {
    return managementUrl;
  }

  public String url() {
    return (https ? "https://" : "http://") + binding.localAddress().getHostString() + ":" + port();
  }

  @Override
  public void close() {
    rebound.close();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

}
