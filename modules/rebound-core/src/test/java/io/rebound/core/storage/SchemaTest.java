package io.rebound.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SchemaTest {
  @TempDir Path dir;

  /** The node's own URL keeps identifiers' case (DATABASE_TO_UPPER=false); one of the user's may not. */
  @ParameterizedTest
  @ValueSource(strings = {";DATABASE_TO_UPPER=false", ""})
  void aJournalFromTheShippedH2DdlKeepsOneUniqueIndexOnOrderingAndNoForeignKeyFromItsTags(String options) throws Exception {
    String url = "jdbc:h2:" + dir.resolve("journal").toAbsolutePath() + options;
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement st = c.createStatement()) {
      // An older node's journal: the shipped DDL as it was run before.
      for (String sql : Schema.ddl(Schema.Dialect.H2).split(";")) {
        if (!sql.isBlank()) {
          st.execute(sql);
        }
      }
      assertEquals(2, count(st, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 'event_journal'"
          + " AND INDEX_TYPE_NAME = 'UNIQUE INDEX'"), "the shipped DDL's two unique indexes on ordering");
    }
    Schema.ensure(url, "sa", "");
    Schema.ensure(url, "sa", "");
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement st = c.createStatement()) {
      assertEquals(1, count(st, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 'event_journal'"
          + " AND INDEX_TYPE_NAME = 'UNIQUE INDEX'"));
      assertEquals(0, count(st, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS WHERE TABLE_NAME = 'event_tag'"
          + " AND CONSTRAINT_TYPE = 'FOREIGN KEY'"));
      assertEquals(1, count(st, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'event_journal'"
          + " AND COLUMN_NAME = 'rebound_tag'"), "the journal row's tag");
      assertEquals(1, count(st, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 'event_journal'"
          + " AND INDEX_NAME = 'event_journal_tag_idx'"), "the slice read's index");
      st.execute("INSERT INTO \"event_journal\" (\"ordering\", \"persistence_id\", \"sequence_number\", \"writer\","
          + " \"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\")"
          + " VALUES (7, 'a', 1, 'w', 0, '', X'00', 1, '')");
      assertThrows(SQLException.class, () -> st.execute("INSERT INTO \"event_journal\" (\"ordering\", \"persistence_id\","
          + " \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\","
          + " \"event_ser_manifest\") VALUES (7, 'b', 1, 'w', 0, '', X'00', 1, '')"), "ordering is still unique");
    }
  }

  @Test
  void aNewH2JournalIsKeyedByOrderingAndKeepsEachItemsSequenceNumbersUnique() throws Exception {
    String url = "jdbc:h2:" + dir.resolve("new").toAbsolutePath() + ";DATABASE_TO_UPPER=false";
    Schema.ensure(url, "sa", "");
    Schema.ensure(url, "sa", "");
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement st = c.createStatement()) {
      String insert = "INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
          + " \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") VALUES ";
      st.execute(insert + "('a', 1, 'w', 0, '', X'00', 1, ''), ('b', 1, 'w', 0, '', X'00', 1, ''), ('a', 2, 'w', 0, '', X'00', 1, '')");
      // The rows are stored by ordering: H2's row id is the ordering itself.
      assertEquals(3, count(st, "SELECT COUNT(*) FROM \"event_journal\" WHERE _ROWID_ = \"ordering\""));
      // Its key, the sequence numbers' uniqueness and the tag column's index; nothing else.
      assertEquals(3, count(st, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 'event_journal'"));
      assertThrows(SQLException.class, () -> st.execute(insert + "('a', 2, 'w', 0, '', X'00', 1, '')"), "a sequence number taken");
      assertEquals(List.of(1L, 2L, 3L), longs(st, "SELECT \"ordering\" FROM \"event_journal\" ORDER BY \"ordering\""));
    }
  }

  @Test
  void aShippedH2DdlOfAnotherShapeIsRefusedRatherThanHalfRewritten() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Schema.h2Layout(Schema.ddl(Schema.Dialect.H2).replace("AUTO_INCREMENT", "GENERATED BY DEFAULT AS IDENTITY")));
    assertTrue(e.getMessage().contains("h2-create-schema.sql"), e.getMessage());
  }

  private static List<Long> longs(Statement st, String sql) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  @Test
  void aPostgresJournalLosesTheForeignKeyFromItsTagsKeepsItsOrderingIndexAndGainsTheTagColumn() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      Schema.ensure(db.url(), PostgresTestDatabase.USER, "");
      Schema.ensure(db.url(), PostgresTestDatabase.USER, "");
      try (Connection c = DriverManager.getConnection(db.url(), PostgresTestDatabase.USER, ""); Statement st = c.createStatement()) {
        assertEquals(0, count(st, "SELECT COUNT(*) FROM information_schema.table_constraints WHERE table_name = 'event_tag'"
            + " AND constraint_type = 'FOREIGN KEY'"));
        assertEquals(1, count(st, "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'event_journal'"
            + " AND indexname = 'event_journal_ordering_idx'"));
        assertEquals(1, count(st, "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'event_journal'"
            + " AND column_name = 'rebound_tag' AND table_schema = current_schema()"));
        assertEquals(1, count(st, "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'event_journal'"
            + " AND indexname = 'event_journal_tag_idx'"));
      }
    }
  }

  @Test
  void aNodeStartingBesideAnOpenJournalWriteOnPostgresTakesNoLockOnTheJournal() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      Schema.ensure(db.url(), PostgresTestDatabase.USER, "");
      try (Connection writer = DriverManager.getConnection(db.url(), PostgresTestDatabase.USER, "")) {
        writer.setAutoCommit(false);
        try (Statement st = writer.createStatement()) {
          st.execute("INSERT INTO event_journal (persistence_id, sequence_number, writer, event_ser_id, event_ser_manifest,"
              + " event_payload) VALUES ('a', 1, 'w', 1, '', '\\x00')");
        }
        // A start waits at most 2 s for a lock: CREATE INDEX IF NOT EXISTS would wait for the write.
        Schema.ensure(db.url() + "?options=-c%20lock_timeout%3D2000", PostgresTestDatabase.USER, "");
        writer.rollback();
      }
    }
  }

  @Test
  void anInvalidTagIndexLeftByAFailedConcurrentBuildIsBuiltAgain() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create()) {
      Schema.ensure(db.url(), PostgresTestDatabase.USER, "");
      String valid = "SELECT COUNT(*) FROM pg_index WHERE indexrelid = 'event_journal_tag_idx'::regclass AND indisvalid";
      try (Connection c = DriverManager.getConnection(db.url(), PostgresTestDatabase.USER, ""); Statement st = c.createStatement()) {
        st.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'event_journal_tag_idx'::regclass");
        assertEquals(0, count(st, valid));
      }
      Schema.ensure(db.url(), PostgresTestDatabase.USER, "");
      try (Connection c = DriverManager.getConnection(db.url(), PostgresTestDatabase.USER, ""); Statement st = c.createStatement()) {
        assertEquals(1, count(st, valid));
      }
    }
  }

  private static long count(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

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
