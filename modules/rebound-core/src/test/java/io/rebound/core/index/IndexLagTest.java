package io.rebound.core.index;

import io.rebound.core.storage.IndexDatabase;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IndexLagTest {
  private static final String URL = "jdbc:h2:mem:index-lag;DATABASE_TO_UPPER=false;DB_CLOSE_DELAY=-1";
  private static final Instant NOW = Instant.parse("2026-01-01T00:01:00Z");
  private Connection keep;
  private IndexDatabase db;

  @BeforeEach
  void tables() throws Exception {
    keep = DriverManager.getConnection(URL, "sa", "");
    try (Statement st = keep.createStatement()) {
      st.execute("CREATE TABLE \"event_journal\" (\"ordering\" BIGINT PRIMARY KEY, \"write_timestamp\" BIGINT NOT NULL,"
          + " \"rebound_tag\" VARCHAR)");
      st.execute("CREATE TABLE \"event_tag\" (\"event_id\" BIGINT NOT NULL, \"tag\" VARCHAR NOT NULL, PRIMARY KEY (\"event_id\", \"tag\"))");
      st.execute("CREATE TABLE pekko_projection_offset_store (projection_name VARCHAR, projection_key VARCHAR, current_offset VARCHAR)");
    }
    db = new IndexDatabase(URL, "sa", "", 1, ForkJoinPool.commonPool());
  }

  @AfterEach
  void close() throws Exception {
    db.close();
    try (Statement st = keep.createStatement()) {
      st.execute("DROP ALL OBJECTS");
    }
    keep.close();
  }

  /** An event as this version writes it: its one tag in the journal row. */
  private void event(long ordering, String tag, Instant written) throws Exception {
    try (Statement st = keep.createStatement()) {
      st.execute("INSERT INTO \"event_journal\" VALUES (" + ordering + ", " + written.toEpochMilli() + ", '" + tag + "')");
    }
  }

  /** An event as an older version wrote it: its tag in a row of the tag table. */
  private void olderEvent(long ordering, String tag, Instant written) throws Exception {
    try (Statement st = keep.createStatement()) {
      st.execute("INSERT INTO \"event_journal\" VALUES (" + ordering + ", " + written.toEpochMilli() + ", NULL)");
      st.execute("INSERT INTO \"event_tag\" VALUES (" + ordering + ", '" + tag + "')");
    }
  }

  private void projected(String tag, long offset) throws Exception {
    try (Statement st = keep.createStatement()) {
      st.execute("DELETE FROM pekko_projection_offset_store WHERE projection_key = '" + tag + "'");
      st.execute("INSERT INTO pekko_projection_offset_store VALUES ('" + IndexProjection.NAME + "', '" + tag + "', '" + offset + "')");
    }
  }

  private Duration lag() {
    return new IndexLag(db, List.of("item-0", "item-1")).measure(NOW).toCompletableFuture().join();
  }

  @Test
  void aSliceWithEveryEventProjectedIsNotBehindHoweverOldItsLastEvent() throws Exception {
    event(1, "item-0", NOW.minusSeconds(50));
    event(2, "item-1", NOW.minusSeconds(1));
    projected("item-0", 1);
    projected("item-1", 2);
    assertEquals(Duration.ZERO, lag());
  }

  @Test
  void theLagIsTheAgeOfTheOldestEventASliceHasNotProjected() throws Exception {
    event(1, "item-0", NOW.minusSeconds(50));
    event(2, "item-1", NOW.minusSeconds(40));
    event(3, "item-1", NOW.minusSeconds(5));
    projected("item-0", 1);
    projected("item-1", 2);
    assertEquals(Duration.ofSeconds(5), lag());
  }

  @Test
  void aSliceThatNeverCommittedAnOffsetIsBehindByItsFirstEvent() throws Exception {
    event(1, "item-0", NOW.minusSeconds(50));
    projected("item-1", 0);
    assertEquals(Duration.ofSeconds(50), lag());
  }

  @Test
  void anOlderWritersTagRowCountsAsTheSlicesOldestUnprojectedEvent() throws Exception {
    olderEvent(1, "item-0", NOW.minusSeconds(30));
    event(2, "item-0", NOW.minusSeconds(10));
    event(3, "item-1", NOW.minusSeconds(20));
    olderEvent(4, "item-1", NOW.minusSeconds(5));
    projected("item-0", 0);
    projected("item-1", 0);
    assertEquals(Duration.ofSeconds(30), lag(), "item-0's first event, a tag row");
    projected("item-0", 1);
    assertEquals(Duration.ofSeconds(20), lag(), "item-1's first event, tagged in its row");
  }
}
