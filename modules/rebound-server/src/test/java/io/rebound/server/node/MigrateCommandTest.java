package io.rebound.server.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rebound.server.Main;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrateCommandTest {
  @TempDir Path dir;

  @Test
  void migrateCreatesEveryTableANodeNeedsAndCanRunAgain() throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("rebound").toString().replace("\\", "/") + ";DATABASE_TO_UPPER=false";
    assertEquals(0, Main.run("migrate", "--database-url", url));
    assertEquals(0, Main.run("migrate", "--database-url", url), "a second run finds the tables and changes nothing");

    List<String> tables = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, "sa", "");
        ResultSet rs = c.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
      while (rs.next()) {
        tables.add(rs.getString("TABLE_NAME").toLowerCase(java.util.Locale.ROOT));
      }
    }
    for (String t : List.of("event_journal", "event_tag", "snapshot", "rebound_item", "rebound_outbox", "pekko_projection_offset_store")) {
      assertEquals(true, tables.contains(t), t + " missing from " + tables);
    }
  }
}
