package io.rebound.core.outbox;

import static io.rebound.core.TestNodes.await;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.RetryPolicy;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemIds;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** What the outbox does on any database: one node per class, each test on its own markers. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OutboxRelayContract {
  static final String QUEUES = """
      rebound.queues.mail {}
      rebound.outbox.poll-interval = 50ms
      """;

  OutboxDb db;
  Rebound node;
  final RecordingHandler handler = new RecordingHandler();

  abstract OutboxDb database(Path dir);

  /** Runs one statement with nothing of Rebound: psql where there is one, else plain JDBC. */
  abstract void insertWithPlainSql(String sql) throws Exception;

  @BeforeAll
  void start(@TempDir Path dir) {
    db = database(dir);
    node = Rebound.start(db.config(QUEUES), Map.of("mail", handler));
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (db != null) {
      db.close();
    }
  }

  static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20));
  }

  @Test
  void a_row_becomes_an_item_once_its_transaction_commits_and_never_if_it_rolls_back() throws Exception {
    try (Connection open = db.connect(); Connection rolledBack = db.connect(); Connection other = db.connect()) {
      open.setAutoCommit(false);
      rolledBack.setAutoCommit(false);
      Outbox.enqueue(open, "mail", EnqueueRequest.builder("{\"m\":\"commit-later\"}").build());
      Outbox.enqueue(rolledBack, "mail", EnqueueRequest.builder("{\"m\":\"rolled-back\"}").build());
      rolledBack.rollback();
      // A later row committed and relayed: the relay has passed over the other two.
      Outbox.enqueue(other, "mail", EnqueueRequest.builder("{\"m\":\"committed-first\"}").build());
      eventually().until(() -> handler.saw("committed-first"));
      assertFalse(handler.saw("commit-later"), "an uncommitted row became an item");

      open.commit();
      eventually().until(() -> handler.saw("commit-later"));
      Outbox.enqueue(other, "mail", EnqueueRequest.builder("{\"m\":\"after-rollback\"}").build());
      eventually().until(() -> handler.saw("after-rollback"));
      assertFalse(handler.saw("rolled-back"), "a rolled-back row became an item");
    }
  }

  @Test
  void a_row_relayed_again_after_a_crash_before_its_delete_reaches_the_item_it_made() throws Exception {
    OffsetDateTime created = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
    insertRow(900_001L, "{\"m\":\"twice\"}", created);
    eventually().until(() -> handler.saw("twice") && outboxRows() == 0);
    int enqueued = TestNodes.eventsInJournal(node, "Enqueued");

    // The same row again, as the relay would find it had it died before deleting it.
    insertRow(900_001L, "{\"m\":\"twice\"}", created);
    insertRow(900_002L, "{\"m\":\"after-twice\"}", created);
    eventually().until(() -> handler.saw("after-twice") && outboxRows() == 0);
    assertEquals(enqueued + 1, TestNodes.eventsInJournal(node, "Enqueued"), "the repeated row made a second item");
    assertEquals(1, handler.items.get("twice").size());
  }

  @Test
  void rows_with_one_key_make_one_item() throws Exception {
    try (Connection c = db.connect()) {
      Outbox.enqueue(c, "mail", EnqueueRequest.builder("{\"m\":\"keyed-1\"}").key("order-7").build());
      Outbox.enqueue(c, "mail", EnqueueRequest.builder("{\"m\":\"keyed-2\"}").key("order-7").build());
    }
    String id = ItemIds.forKey("mail", "order-7");
    eventually().until(() -> outboxRows() == 0 && handler.items.values().stream().anyMatch(s -> s.contains(id)));
    ItemView item = await(node.status(id)).orElseThrow();
    assertEquals("order-7", item.key());
    assertEquals("{\"m\":\"keyed-1\"}", item.payload(), "the first row of the key made the item");
    assertFalse(handler.saw("keyed-2"));
  }

  @Test
  void a_rows_group_becomes_its_items_group() throws Exception {
    try (Connection c = db.connect()) {
      Outbox.enqueue(c, "mail", EnqueueRequest.builder("{\"m\":\"grouped\"}").key("tenant-item").group("tenant-3").build());
    }
    String id = ItemIds.forKey("mail", "tenant-item");
    eventually().until(() -> outboxRows() == 0 && handler.saw("grouped"));
    assertEquals("tenant-3", await(node.status(id)).orElseThrow().group());
  }

  @Test
  void a_row_that_can_never_become_an_item_keeps_its_error_and_holds_up_no_other() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO rebound_outbox (queue, payload) VALUES ('mail', '{not json')");
      st.executeUpdate("INSERT INTO rebound_outbox (queue, payload) VALUES ('no-such-queue', '{}')");
      st.executeUpdate("INSERT INTO rebound_outbox (queue, payload, priority) VALUES ('mail', '{}', 12)");
      st.executeUpdate("INSERT INTO rebound_outbox (queue, payload) VALUES ('mail', '{\"m\":\"after-bad\"}')");
    }
    eventually().until(() -> handler.saw("after-bad") && errors().size() == 3);
    List<String> errors = errors();
    assertTrue(errors.get(0).contains("payload is not valid JSON"), errors.get(0));
    assertTrue(errors.get(1).contains("no-such-queue"), errors.get(1));
    assertTrue(errors.get(2).contains("priority"), errors.get(2));
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM rebound_outbox WHERE error IS NOT NULL");
    }
  }

  @Test
  void an_items_delay_counts_from_its_rows_creation() throws Exception {
    OffsetDateTime created = OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(10).truncatedTo(ChronoUnit.MILLIS);
    try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement(
        "INSERT INTO rebound_outbox (queue, payload, item_key, delay_ms, created_at) VALUES ('mail', '{}', 'delayed', 3600000, ?)")) {
      st.setObject(1, created);
      st.executeUpdate();
    }
    String id = ItemIds.forKey("mail", "delayed");
    eventually().until(() -> await(node.status(id)).isPresent());
    ItemView item = await(node.status(id)).orElseThrow();
    Duration off = Duration.between(created.toInstant().plus(Duration.ofHours(1)), item.nextAttemptAt()).abs();
    assertTrue(off.compareTo(Duration.ofSeconds(5)) < 0, "due at " + item.nextAttemptAt() + ", created " + created);
  }

  @Test
  void a_row_inserted_with_plain_sql_becomes_an_item() throws Exception {
    insertWithPlainSql("INSERT INTO rebound_outbox (queue, payload, item_key, priority)"
        + " VALUES ('mail', '{\"m\":\"plain-sql\"}', 'plain-1', 7)");
    eventually().until(() -> handler.saw("plain-sql"));
    ItemView item = await(node.status(ItemIds.forKey("mail", "plain-1"))).orElseThrow();
    assertEquals(7, item.priority());
  }

  @Test
  void the_relay_counts_the_rows_it_relayed_and_those_it_could_not() throws Exception {
    double relayed = rows("relayed");
    double bad = rows("bad");
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO rebound_outbox (queue, payload) VALUES ('no-such-queue', '{}')");
      st.executeUpdate("INSERT INTO rebound_outbox (queue, payload) VALUES ('mail', '{\"m\":\"counted\"}')");
    }
    eventually().until(() -> rows("relayed") >= relayed + 1 && rows("bad") >= bad + 1);
    assertTrue(node.metrics().scrape().contains("rebound_outbox_lag_seconds"));
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM rebound_outbox WHERE error IS NOT NULL");
    }
  }

  private double rows(String outcome) {
    return node.metrics().registry().get("rebound.outbox.rows").tag("outcome", outcome).counter().count();
  }

  @Test
  void the_java_helper_refuses_what_a_row_cannot_carry() throws Exception {
    try (Connection c = db.connect()) {
      EnqueueRequest withPolicy = EnqueueRequest.builder("{}").retryPolicy(RetryPolicy.defaults()).build();
      assertThrows(IllegalArgumentException.class, () -> Outbox.enqueue(c, "mail", withPolicy));
      assertThrows(IllegalArgumentException.class, () -> Outbox.enqueue(c, " ", EnqueueRequest.builder("{}").build()));
    }
  }

  void insertRow(long id, String payload, OffsetDateTime created) throws Exception {
    try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement(
        "INSERT INTO rebound_outbox (id, queue, payload, created_at) VALUES (?, 'mail', ?, ?)")) {
      st.setLong(1, id);
      st.setString(2, payload);
      st.setObject(3, created);
      st.executeUpdate();
    }
  }

  int outboxRows() throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM rebound_outbox WHERE error IS NULL")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  List<String> errors() throws Exception {
    List<String> errors = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT error FROM rebound_outbox WHERE error IS NOT NULL ORDER BY id")) {
      while (rs.next()) {
        errors.add(rs.getString(1));
      }
    }
    return errors;
  }
}
