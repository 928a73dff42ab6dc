package io.rebound.core.index;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.PostgresTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The index rebuild on a fresh PostgreSQL database each (skipped without one). */
class PostgresIndexRebuildTest extends IndexRebuildTest {
  private PostgresTestDatabase db;

  @BeforeEach
  void createDatabase() {
    db = PostgresTestDatabase.create();
  }

  @AfterEach
  void dropDatabase() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  @Override
  protected Config config(String queues) {
    return ConfigFactory.parseString(db.config()).withFallback(super.config(queues));
  }
}
