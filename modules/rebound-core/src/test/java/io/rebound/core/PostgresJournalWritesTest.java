package io.rebound.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The journal's batch writes on a fresh PostgreSQL database (skipped without one). */
class PostgresJournalWritesTest extends JournalWritesTest {
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
  protected Config config() {
    return ConfigFactory.parseString(db.config()).withFallback(super.config());
  }
}
