package io.rebound.core.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rebound.core.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The outbox on PostgreSQL (skipped, saying so, when none answers). */
class OutboxRelayPostgresTest extends OutboxRelayContract {
  @Override
  OutboxDb database(Path dir) {
    return OutboxDb.postgres(dir);
  }

  /** With psql, no Java at all, where the machine has it; plain JDBC otherwise. */
  @Override
  void insertWithPlainSql(String sql) throws Exception {
    if (!onPath("psql")) {
      try (Connection c = DriverManager.getConnection(db.url(), db.user(), ""); Statement st = c.createStatement()) {
        st.executeUpdate(sql);
      }
      return;
    }
    String server = PostgresTestDatabase.SERVER;
    String name = db.url().substring(db.url().lastIndexOf('/') + 1);
    Process p = new ProcessBuilder(List.of("psql", "-v", "ON_ERROR_STOP=1",
            "-h", server.substring(0, server.lastIndexOf(':')), "-p", server.substring(server.lastIndexOf(':') + 1),
            "-U", db.user(), "-d", name, "-c", "BEGIN; " + sql + "; COMMIT;"))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    assertEquals(0, p.exitValue(), "psql: " + out);
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }
}
