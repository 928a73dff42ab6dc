package io.rebound.core.outbox;

import java.nio.file.Path;

class OutboxCrashH2Test extends OutboxCrashContract {
  @Override
  OutboxDb database(Path dir) {
    return OutboxDb.h2(dir);
  }
}
