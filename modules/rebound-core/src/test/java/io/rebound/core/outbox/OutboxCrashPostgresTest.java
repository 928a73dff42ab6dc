package io.rebound.core.outbox;

import java.nio.file.Path;

/** Skipped, saying so, when no PostgreSQL answers. */
class OutboxCrashPostgresTest extends OutboxCrashContract {
  @Override
  OutboxDb database(Path dir) {
    return OutboxDb.postgres(dir);
  }
}
