package io.rebound.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The embedded node's end-to-end tests, on a fresh PostgreSQL database each (skipped without one). */
class PostgresEndToEndTest extends EndToEndTest {
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
