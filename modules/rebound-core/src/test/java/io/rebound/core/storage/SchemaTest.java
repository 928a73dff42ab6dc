package io.rebound.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.rebound.core.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class SchemaTest {
  @Test
  void thePostgresDdlCreatesNoIndexConcurrentlyWhichWouldDeadlockOnTheSchemaLock() {
    assertFalse(Schema.ddl(Schema.Dialect.POSTGRES).contains("CONCURRENTLY"));
  }

  @Test
  void nodesStartingTogetherOnOnePostgresDatabaseEachFindTheSchemaReady() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> starts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          starts.add(pool.submit(() -> {
            Schema.ensure(db.url(), PostgresTestDatabase.USER, "");
            return null;
          }));
        }
        for (Future<?> f : starts) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      try (Connection c = DriverManager.getConnection(db.url(), PostgresTestDatabase.USER, "");
          ResultSet rs = c.createStatement().executeQuery(
              "SELECT COUNT(*) FROM information_schema.tables WHERE table_name IN ('event_journal', 'event_tag', 'snapshot')")) {
        rs.next();
        assertEquals(3, rs.getInt(1));
      }
    }
  }
}
