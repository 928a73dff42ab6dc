package io.rebound.server.node;

import com.typesafe.config.ConfigFactory;
import io.rebound.core.Rebound;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rebound migrate}: creates the tables a node needs, without starting one. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = {"Create the database tables (journal, snapshots, index, projection offsets) when missing, then exit.",
        "Nodes do this on start too; run it once before starting a cluster's nodes, or with a user allowed to create tables."})
public final class MigrateCommand implements Callable<Integer> {

  @Option(names = "--config", description = "A config file layered over conf/application.conf (the database is read from it).")
  Path config;

  @Option(names = "--database-url", paramLabel = "JDBC_URL", description = "The database (rebound.database.url; env REBOUND_DATABASE_URL).")
  String databaseUrl;

  @Override
  public Integer call() {
    var loaded = ConfigLoader.load(config, ConfigFactory.parseResources("application.conf"));
    if (databaseUrl != null) {
      loaded = ConfigFactory.parseMap(java.util.Map.of("rebound.database.url", databaseUrl)).withFallback(loaded);
    }
    String url = Rebound.migrate(loaded);
    System.out.println("Schema ready in " + url);
    return 0;
  }
}
