package io.rebound.core.outbox;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/** The outbox on the node's own H2 file. */
class OutboxRelayH2Test extends OutboxRelayContract {
  @Override
  OutboxDb database(Path dir) {
    return OutboxDb.h2(dir);
  }

  /** Plain JDBC, no Rebound class: what an application in another JVM language would do. */
  @Override
  void insertWithPlainSql(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(db.url(), "sa", ""); Statement st = c.createStatement()) {
      st.executeUpdate(sql);
    }
  }
}
