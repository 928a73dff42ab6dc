package io.rebound.server.node;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;

/**
 * Pekko Management health check "journal reachable": a connection to the journal's database
 * answers. Runs on the probe pool, since JDBC blocks.
 */
public final class JournalHealthCheck implements Supplier<CompletionStage<Boolean>> {
  private static final String DB = "pekko-persistence-jdbc.shared-databases.rebound.db.";

  private final String url;
  private final String user;
  private final String password;
  private final Executor executor;
  private final LoggingAdapter log;

  public JournalHealthCheck(ActorSystem system) {
    this.url = system.settings().config().getString(DB + "url");
    this.user = system.settings().config().getString(DB + "user");
    this.password = system.settings().config().getString(DB + "password");
    this.executor = system.dispatchers().lookup("rebound.probe-dispatcher");
    this.log = Logging.getLogger(system, JournalHealthCheck.class);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = DriverManager.getConnection(url, user, password)) {
        return c.isValid(1);
      } catch (SQLException e) {
        log.warning("Health check: the journal's database does not answer: {}", e.getMessage());
        return false;
      }
    }, executor);
  }
}
