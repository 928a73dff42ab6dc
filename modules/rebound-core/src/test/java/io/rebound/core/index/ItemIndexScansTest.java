package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queries the nodes and the dashboard make every few seconds read the open items of a queue,
 * not the finished ones retention keeps (a week of them): H2 counts the rows a statement read.
 */
class ItemIndexScansTest {
  private static final int RETAINED = 2_000;
  private Connection c;

  @BeforeEach
  void aQueueOfManyFinishedItemsAndAFewOpenOnes() throws SQLException {
    c = DriverManager.getConnection("jdbc:h2:mem:scans-" + System.nanoTime() + ";DATABASE_TO_UPPER=false");
    IndexSchema.ensure(c, Map.of());
    try (Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO rebound_item (id, queue, status, priority, attempts, created_at, updated_at)"
          + " SELECT CAST(r.i AS VARCHAR), 'q', 'SUCCEEDED', 0, 1, TIMESTAMP WITH TIME ZONE '2026-01-01 00:00:00Z',"
          + " TIMESTAMP WITH TIME ZONE '2026-01-01 00:00:00Z' FROM SYSTEM_RANGE(1, " + RETAINED + ") AS r(i)");
      st.executeUpdate("INSERT INTO rebound_item (id, queue, status, priority, attempts, next_attempt_at, created_at, updated_at) VALUES"
          + " ('p1', 'q', 'PENDING', 0, 0, NULL, TIMESTAMP WITH TIME ZONE '2026-01-02 00:00:00Z', TIMESTAMP WITH TIME ZONE '2026-01-02 00:00:00Z'),"
          + " ('p2', 'q', 'PENDING', 0, 0, NULL, TIMESTAMP WITH TIME ZONE '2026-01-03 00:00:00Z', TIMESTAMP WITH TIME ZONE '2026-01-03 00:00:00Z'),"
          + " ('w1', 'q', 'WAITING', 0, 1, TIMESTAMP WITH TIME ZONE '2026-01-04 00:00:00Z', TIMESTAMP WITH TIME ZONE '2026-01-01 12:00:00Z',"
          + " TIMESTAMP WITH TIME ZONE '2026-01-03 00:00:00Z')");
      st.execute("ANALYZE");
    }
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  /** Runs the query with EXPLAIN ANALYZE: its first result column, and the rows H2 says it read. */
  private long[] run(String sql, Object... args) throws SQLException {
    long value;
    try (PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        st.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        Object v = rs.getObject(1);
        value = v instanceof java.time.OffsetDateTime t ? t.toInstant().getEpochSecond() : ((Number) v).longValue();
      }
    }
    long scanned = 0;
    try (PreparedStatement st = c.prepareStatement("EXPLAIN ANALYZE " + sql)) {
      for (int i = 0; i < args.length; i++) {
        st.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        Matcher m = Pattern.compile("scanCount: (\\d+)").matcher(rs.getString(1));
        int reads = 0;
        while (m.find()) {
          scanned += Long.parseLong(m.group(1));
          reads++;
        }
        // One figure per status's read at least: a plan without them would prove nothing.
        assertTrue(reads >= 2, rs.getString(1));
      }
    }
    return new long[] {value, scanned};
  }

  @Test
  void theOldestOpenItemIsFoundWithoutReadingTheFinishedOnes() throws SQLException {
    long[] r = run(ItemIndex.OLDEST_OPEN, "q", "q", "q");
    assertEquals(Instant.parse("2026-01-01T12:00:00Z").getEpochSecond(), r[0], "the WAITING item, created first");
    assertTrue(r[1] <= 10, "rows read: " + r[1]);
  }

  @Test
  void workDueSinceIsCountedWithoutReadingTheFinishedItems() throws SQLException {
    Object before = IndexUpdates.time(Instant.parse("2026-01-05T00:00:00Z"));
    long[] r = run(ItemIndex.DUE_SINCE, "q", before, before, "q", before);
    assertEquals(3, r[0]);
    assertTrue(r[1] <= 10, "rows read: " + r[1]);
  }
}
