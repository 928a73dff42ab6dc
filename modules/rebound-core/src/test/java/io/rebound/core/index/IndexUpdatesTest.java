package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.core.item.ItemEntity;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A group's rows written in batches ({@link IndexUpdates#write}) are those written item by item. */
class IndexUpdatesTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  private static Connection database() throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:h2:mem:updates-" + System.nanoTime() + ";DATABASE_TO_UPPER=false");
    IndexSchema.ensure(c, Map.of());
    return c;
  }

  private static ItemEntity.Enqueued enqueued(String id, int priority) {
    return new ItemEntity.Enqueued(id, "q", null, "{}", priority, T, null, null);
  }

  /** Rows already there before the group: some to move on, one a late event must not move back. */
  private static void earlierGroup(IndexUpdates u) {
    u.add("running", 1, enqueued("running", 0));
    u.add("running", 2, new ItemEntity.AttemptStarted(1, 1, T.plusSeconds(1)));
    u.add("ahead", 1, enqueued("ahead", 0));
    u.add("ahead", 2, new ItemEntity.AttemptStarted(1, 1, T.plusSeconds(1)));
    u.add("ahead", 3, new ItemEntity.Succeeded(1, 1, T.plusSeconds(2)));
    u.add("pending", 1, enqueued("pending", 3));
  }

  /** New rows, updates of several shapes, a late event, a parking, an item the index never saw. */
  private static void group(IndexUpdates u) {
    u.add("new", 1, enqueued("new", 1));
    u.add("new-done", 1, enqueued("new-done", 2));
    u.add("new-done", 2, new ItemEntity.AttemptStarted(1, 1, T.plusSeconds(3)));
    u.add("new-done", 3, new ItemEntity.Succeeded(1, 1, T.plusSeconds(4)));
    u.add("running", 3, new ItemEntity.AttemptFailed(1, 1, ErrorKind.TRANSIENT, "boom", null, T.plusSeconds(5), T.plusSeconds(65)));
    u.add("ahead", 2, new ItemEntity.AttemptStarted(1, 1, T.plusSeconds(1)));
    u.add("pending", 2, new ItemEntity.Parked(0, 0, List.of("db", "mail"), "down", T.plusSeconds(6), T.plusSeconds(600)));
    u.add("unseen", 4, new ItemEntity.Succeeded(2, 2, T.plusSeconds(7)));
  }

  private static List<String> rows(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.append(md.getColumnName(i)).append('=').append(rs.getString(i)).append(' ');
        }
        out.add(row.toString());
      }
    }
    return out;
  }

  private static List<List<String>> tablesAfter(Consumer<IndexUpdates> write) throws SQLException {
    try (Connection c = database()) {
      IndexUpdates before = new IndexUpdates(false, IndexQuarantineTest.WAKE);
      earlierGroup(before);
      before.write(c);
      IndexUpdates now = new IndexUpdates(false, IndexQuarantineTest.WAKE);
      group(now);
      try {
        c.setAutoCommit(false);
        if (write == null) {
          now.write(c);
        } else {
          write.accept(now);
          assertTrue(now.writeEach(c).isEmpty(), "nothing refused");
        }
        c.commit();
      } finally {
        c.setAutoCommit(true);
      }
      return List.of(rows(c, "SELECT * FROM rebound_item ORDER BY id"), rows(c, "SELECT * FROM rebound_parked ORDER BY tool, id"));
    }
  }

  @Test
  void aGroupWrittenInBatchesLeavesTheRowsItemByItemWritingWould() throws Exception {
    List<List<String>> batched = tablesAfter(null);
    List<List<String>> oneByOne = tablesAfter(u -> {});
    assertEquals(oneByOne, batched);

    List<String> items = batched.get(0);
    assertEquals(5, items.size(), "the unseen item gets no row: " + items);
    assertTrue(items.stream().anyMatch(r -> r.startsWith("id=ahead ") && r.contains("status=SUCCEEDED")), "a late event moves no row back");
    assertTrue(items.stream().anyMatch(r -> r.startsWith("id=new-done ") && r.contains("status=SUCCEEDED")));
    assertTrue(items.stream().anyMatch(r -> r.startsWith("id=running ") && r.contains("status=WAITING")));
    assertTrue(items.stream().anyMatch(r -> r.startsWith("id=pending ") && r.contains("status=PARKED")));
    assertEquals(2, batched.get(1).size(), "the parked item waits on both tools: " + batched.get(1));
  }
}
