package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.ItemNotFoundException;
import io.rebound.core.Rebound;
import io.rebound.core.item.HistoryEntry;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention on a real embedded node: items really run to their final status (so their journal
 * events exist), get the index row the projection would give them, and a retention job whose
 * clock the test sets purges them.
 */
class RetentionTest {
  /** {@code work} keeps the reference periods (7d, 30d, 7d); {@code brief} keeps succeeded items 1h. */
  private static final String QUEUES = """
      rebound.queues.work { handler.type = simulated, retry { max-attempts = 1 } }
      rebound.queues.brief { handler.type = simulated, retention.succeeded = 1h }
      """;
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  @TempDir Path dir;

  // ---- the tests ----------------------------------------------------------------------------

  @Test
  void purgesExactlyTheTerminalItemsPastTheirRetention() throws Exception {
    try (Rebound node = start(QUEUES + "rebound.retention.enabled = off")) {
      RetentionTestDb db = db(node);
      List<String> due = new ArrayList<>();
      List<String> kept = new ArrayList<>();
      due.add(index(db, succeeded(node, "work"), NOW.minus(days(8))));
      String recentSuccess = index(db, succeeded(node, "work"), NOW.minus(days(6)));
      kept.add(recentSuccess);
      due.add(index(db, deadLettered(node, "work"), NOW.minus(days(31))));
      // Past the 7 days of succeeded items, within the 30 of dead letters: the status decides.
      String recentDeadLetter = index(db, deadLettered(node, "work"), NOW.minus(days(8)));
      kept.add(recentDeadLetter);
      due.add(index(db, cancelled(node, "work"), NOW.minus(days(8))));
      String recentCancel = index(db, cancelled(node, "work"), NOW.minus(days(7)).plusSeconds(60));
      kept.add(recentCancel);
      // Its queue keeps succeeded items an hour: the queue decides.
      due.add(index(db, succeeded(node, "brief"), NOW.minus(Duration.ofHours(2))));
      String recentBrief = index(db, succeeded(node, "brief"), NOW.minus(Duration.ofMinutes(30)));
      kept.add(recentBrief);
      // Not terminal: never purged, whatever its index row's age.
      String waiting = index(db, pending(node, "work"), NOW.minus(days(365)));
      kept.add(waiting);
      Snapshot before = Snapshot.of(node, db, concat(due, kept));
      TestClock clock = new TestClock(NOW);
      ActorRef<Retention.Command> job = node.system().systemActorOf(Retention.create(node.settings(), clock), "retention-under-test", Props.empty());

      RetentionRun run = purgeNow(node, job);

      assertEquals(1, run.purged("work", ItemStatus.SUCCEEDED), run.toString());
      assertEquals(1, run.purged("work", ItemStatus.DEAD_LETTERED), run.toString());
      assertEquals(1, run.purged("work", ItemStatus.CANCELLED), run.toString());
      assertEquals(1, run.purged("brief", ItemStatus.SUCCEEDED), run.toString());
      assertEquals(4, run.total(), run.toString());
      assertEquals(before.events(due), run.events());
      assertEquals(0, run.skipped());
      for (String id : due) {
        assertPurged(node, db, id);
      }
      before.assertUnchanged(node, db, kept);
      assertEquals(0, db.orphanTags());

      RetentionRun second = purgeNow(node, job);
      assertEquals(0, second.total(), second.toString());
      assertFalse(second.didAnything());
      before.assertUnchanged(node, db, kept);
      assertEquals(Optional.of(second), lastRun(node, job));

      // Two days on, the item that succeeded six days before is past its seven days, the
      // cancellation just short of seven too, and brief's half-hour-old success past its hour;
      // the dead letter (ten days) still is not, and the pending item never will be.
      clock.set(NOW.plus(days(2)));
      RetentionRun later = purgeNow(node, job);
      assertEquals(1, later.purged("work", ItemStatus.SUCCEEDED), later.toString());
      assertEquals(1, later.purged("work", ItemStatus.CANCELLED), later.toString());
      assertEquals(1, later.purged("brief", ItemStatus.SUCCEEDED), later.toString());
      assertEquals(3, later.total(), later.toString());
      assertPurged(node, db, recentSuccess);
      assertPurged(node, db, recentCancel);
      assertPurged(node, db, recentBrief);
      before.assertUnchanged(node, db, List.of(recentDeadLetter, waiting));
      // The purges took their rows out of the depth counts as they deleted them.
      assertEquals(db.rowsCounted(), await(node.index().depthByQueue()));
    }
  }

  @Test
  void itemsOfAQueueNoLongerConfiguredFollowTheQueueDefaults() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Rebound first = start(QUEUES + "rebound.queues.retired { handler.type = simulated, retention.succeeded = 30d }\n"
        + "rebound.retention.enabled = off")) {
      RetentionTestDb db = db(first);
      ids.add(index(db, succeeded(first, "retired"), NOW.minus(days(3))));
      ids.add(index(db, succeeded(first, "retired"), NOW.minus(days(1))));
    }
    try (Rebound node = start(QUEUES + "rebound.queue-defaults.retention.succeeded = 2d\nrebound.retention.enabled = off")) {
      RetentionTestDb db = db(node);
      Snapshot before = Snapshot.of(node, db, ids);
      ActorRef<Retention.Command> job = node.system().systemActorOf(
          Retention.create(node.settings(), Clock.fixed(NOW, ZoneOffset.UTC)), "retention-under-test", Props.empty());

      RetentionRun run = purgeNow(node, job);

      assertEquals(1, run.purged("retired", ItemStatus.SUCCEEDED), run.toString());
      assertEquals(1, run.total(), run.toString());
      assertPurged(node, db, ids.get(0));
      before.assertUnchanged(node, db, List.of(ids.get(1)));
    }
  }

  @Test
  void anItemRedrivenSinceItsIndexRowWasWrittenIsLeftAlone() throws Exception {
    try (Rebound node = start(QUEUES + "rebound.retention.enabled = off")) {
      RetentionTestDb db = db(node);
      // The projection has not seen the redrive yet: its row still says dead-lettered, long ago.
      String id = index(db, deadLettered(node, "work"), NOW.minus(days(31)));
      node.pause("work");
      ItemView redriven = await(node.redrive(id));
      // The projection has seen the redrive; put its row back as if it had not.
      db.indexRow(redriven, ItemStatus.DEAD_LETTERED, NOW.minus(days(31)));
      Snapshot before = Snapshot.of(node, db, List.of(id));
      ActorRef<Retention.Command> job = node.system().systemActorOf(
          Retention.create(node.settings(), Clock.fixed(NOW, ZoneOffset.UTC)), "retention-under-test", Props.empty());

      RetentionRun run = purgeNow(node, job);

      assertEquals(0, run.total(), run.toString());
      assertEquals(1, run.skipped(), run.toString());
      before.assertUnchanged(node, db, List.of(id));
      assertEquals("redriven", before.history.get(id).get(before.history.get(id).size() - 1).type());
    }
  }

  @Test
  void aRedriveCommittedWhileThePurgeRunsKeepsTheItemsWholeJournal() throws Exception {
    try (Rebound node = start(QUEUES + "rebound.retention.enabled = off")) {
      RetentionTestDb db = db(node);
      String id = index(db, deadLettered(node, "work"), NOW.minus(days(31)));
      node.pause("work");
      java.util.concurrent.atomic.AtomicBoolean raced = new java.util.concurrent.atomic.AtomicBoolean();
      // The purge has checked the last event (a dead letter) when the redrive is committed.
      RetentionPurge purge = new RetentionPurge(() -> java.sql.DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", ""),
          (payload, serializerId, manifest) -> {
            if (raced.compareAndSet(false, true)) {
              await(node.redrive(id));
            }
            return Optional.of(ItemStatus.DEAD_LETTERED);
          }, Clock.fixed(NOW, ZoneOffset.UTC));

      RetentionRun run = purge.run(NOW, Map.of("work", node.settings().queues().get("work").retention()),
          node.settings().retention().defaultPeriods(), 100);

      assertTrue(raced.get());
      assertEquals(0, run.total(), run.toString());
      assertEquals(1, run.skipped(), run.toString());
      List<HistoryEntry> history = await(node.history(id));
      assertEquals("enqueued", history.get(0).type(), history.toString());
      assertEquals("redriven", history.get(history.size() - 1).type(), history.toString());
      assertTrue(db.rows(id).events() > 0 && db.rows(id).indexRow(), db.rows(id).toString());
    }
  }

  @Test
  void anEventThePurgeCannotDecodeRollsBackThatItemWholeAndTheRunGoesOn() throws Exception {
    try (Rebound node = start(QUEUES + "rebound.retention.enabled = off")) {
      RetentionTestDb db = db(node);
      String undecodable = index(db, succeeded(node, "work"), NOW.minus(days(9)));
      String fine = index(db, succeeded(node, "work"), NOW.minus(days(8)));
      Snapshot before = Snapshot.of(node, db, List.of(undecodable, fine));
      String undecodablePid = io.rebound.core.item.ItemEntity.persistenceId(undecodable).id();
      java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
      RetentionPurge purge = new RetentionPurge(() -> java.sql.DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", ""),
          (payload, serializerId, manifest) -> {
            // The first item checked (the older one) cannot be read, as with a lost key or class:
            // Pekko's Try.get throws the checked NotSerializableException as it is.
            if (calls.getAndIncrement() == 0) {
              RetentionTest.<RuntimeException>sneaky(new java.io.NotSerializableException("no serializer for " + manifest));
            }
            return Optional.of(ItemStatus.SUCCEEDED);
          }, Clock.fixed(NOW, ZoneOffset.UTC));

      RetentionRun run = purge.run(NOW, Map.of("work", node.settings().queues().get("work").retention()),
          node.settings().retention().defaultPeriods(), 100);

      assertEquals(1, run.total(), run.toString());
      assertEquals(1, run.skipped(), run.toString());
      before.assertUnchanged(node, db, List.of(undecodable));
      assertTrue(db.rows(fine).none(), db.rows(fine).toString());
      assertTrue(undecodablePid.endsWith(undecodable));
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneaky(Throwable e) throws E {
    throw (E) e;
  }

  @Test
  void tagRowsGoWithTheirEventsSinceNoCascadeDeletesThem() throws Exception {
    try (Rebound node = start(QUEUES + "rebound.retention.enabled = off")) {
      RetentionTestDb db = db(node);
      assertFalse(db.tagsCascade(), "the node's schema has no foreign key from tags to events (Schema)");
      String old = index(db, succeeded(node, "work"), NOW.minus(days(8)));
      String recent = index(db, succeeded(node, "work"), NOW.minus(days(1)));
      Snapshot before = Snapshot.of(node, db, List.of(old, recent));
      assertTrue(before.rows.get(old).tags() > 0, "the test tags the events");
      ActorRef<Retention.Command> job = node.system().systemActorOf(
          Retention.create(node.settings(), Clock.fixed(NOW, ZoneOffset.UTC)), "retention-under-test", Props.empty());

      assertEquals(1, purgeNow(node, job).total());

      assertPurged(node, db, old);
      assertEquals(0, db.orphanTags(), "no tag row outlives its event");
      before.assertUnchanged(node, db, List.of(recent));
    }
  }

  @Test
  void aRunPurgesAtMostBatchSizeItemsPerQueueAndStatusAndTheNextRunTakesTheRest() throws Exception {
    try (Rebound node = start(QUEUES + "rebound.retention { enabled = off, batch-size = 2 }")) {
      RetentionTestDb db = db(node);
      List<String> oldestFirst = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        oldestFirst.add(index(db, succeeded(node, "work"), NOW.minus(days(30 - i))));
      }
      String deadLetter = index(db, deadLettered(node, "work"), NOW.minus(days(40)));
      ActorRef<Retention.Command> job = node.system().systemActorOf(
          Retention.create(node.settings(), Clock.fixed(NOW, ZoneOffset.UTC)), "retention-under-test", Props.empty());

      RetentionRun run = purgeNow(node, job);

      assertEquals(2, run.purged("work", ItemStatus.SUCCEEDED), run.toString());
      assertEquals(1, run.purged("work", ItemStatus.DEAD_LETTERED), "the limit is per status: " + run);
      assertTrue(run.batchFilled());
      assertPurged(node, db, oldestFirst.get(0));
      assertPurged(node, db, oldestFirst.get(1));
      assertPurged(node, db, deadLetter);
      // A full batch is followed at once by another run; this request is answered after it.
      purgeNow(node, job);
      assertPurged(node, db, oldestFirst.get(2));
    }
  }

  @Test
  void theNodePurgesOnDemandWithItsOwnClockAndRemembersItsLastRun() throws Exception {
    try (Rebound node = start(QUEUES)) {
      RetentionTestDb db = db(node);
      Instant now = Instant.now();
      String old = index(db, succeeded(node, "work"), now.minus(days(8)));
      String recent = index(db, succeeded(node, "work"), now.minus(days(1)));
      Snapshot before = Snapshot.of(node, db, List.of(old, recent));

      RetentionRun run = await(node.purgeNow());

      assertEquals(1, run.purged("work", ItemStatus.SUCCEEDED), run.toString());
      assertPurged(node, db, old);
      before.assertUnchanged(node, db, List.of(recent));
      assertEquals(Optional.of(run), await(node.lastPurge()));
    }
  }

  @Test
  void aNodeWithRetentionOffRefusesToPurgeOnDemand() throws Exception {
    try (Rebound node = start(QUEUES + "rebound.retention.enabled = off")) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> node.purgeNow().toCompletableFuture().get(10, TimeUnit.SECONDS));

      assertInstanceOf(IllegalStateException.class, e.getCause());
      assertEquals(Optional.empty(), await(node.lastPurge()));
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private Rebound start(String hocon) {
    Config config = ConfigFactory.parseString("rebound.data-dir = \"" + dir.toString().replace("\\", "/") + "\"\n" + hocon);
    return Rebound.start(config);
  }

  private static RetentionTestDb db(Rebound node) throws Exception {
    return new RetentionTestDb(node.settings().effectiveDatabaseUrl());
  }

  /** Writes the item's index row, tags its events and gives it a snapshot; returns its id. */
  private static String index(RetentionTestDb db, ItemView item, Instant updatedAt) throws Exception {
    db.indexRow(item, item.status(), updatedAt);
    db.tagAndSnapshot(item.id());
    return item.id();
  }

  private static ItemView succeeded(Rebound node, String queue) throws Exception {
    return runTo(node, queue, "{}", ItemStatus.SUCCEEDED);
  }

  private static ItemView deadLettered(Rebound node, String queue) throws Exception {
    return runTo(node, queue, "{\"fail\":1,\"kind\":\"PERMANENT\"}", ItemStatus.DEAD_LETTERED);
  }

  private static ItemView cancelled(Rebound node, String queue) throws Exception {
    return await(node.cancel(pending(node, queue).id()));
  }

  /** Due in an hour: it stays PENDING for the whole test. */
  private static ItemView pending(Rebound node, String queue) throws Exception {
    ItemView v = await(node.enqueue(queue, EnqueueRequest.builder("{}").delay(Duration.ofHours(1)).build())).item();
    assertEquals(ItemStatus.PENDING, v.status());
    return v;
  }

  private static ItemView runTo(Rebound node, String queue, String payload, ItemStatus expected) throws Exception {
    String id = await(node.enqueue(queue, EnqueueRequest.builder(payload).build())).item().id();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      ItemView v = await(node.status(id)).orElseThrow();
      if (v.status().isTerminal()) {
        assertEquals(expected, v.status(), v.toString());
        return v;
      }
      assertTrue(System.nanoTime() < deadline, "not terminal in time: " + v);
      Thread.sleep(50);
    }
  }

  private static RetentionRun purgeNow(Rebound node, ActorRef<Retention.Command> job) {
    return await(AskPattern.<Retention.Command, RetentionRun>askWithStatus(
        job, Retention.PurgeNow::new, Duration.ofSeconds(60), node.system().scheduler()));
  }

  private static Optional<RetentionRun> lastRun(Rebound node, ActorRef<Retention.Command> job) {
    return await(AskPattern.<Retention.Command, Optional<RetentionRun>>ask(
        job, Retention.GetLastRun::new, Duration.ofSeconds(10), node.system().scheduler()));
  }

  private static void assertPurged(Rebound node, RetentionTestDb db, String id) throws Exception {
    RetentionTestDb.Rows rows = db.rows(id);
    assertTrue(rows.none(), id + " still has " + rows);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> node.history(id).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertInstanceOf(ItemNotFoundException.class, e.getCause());
  }

  /** Rows and history of items before a purge, to check that the purge left them as they were. */
  private record Snapshot(Map<String, RetentionTestDb.Rows> rows, Map<String, List<HistoryEntry>> history) {
    static Snapshot of(Rebound node, RetentionTestDb db, List<String> ids) throws Exception {
      Map<String, RetentionTestDb.Rows> rows = new LinkedHashMap<>();
      Map<String, List<HistoryEntry>> history = new LinkedHashMap<>();
      for (String id : ids) {
        RetentionTestDb.Rows r = db.rows(id);
        assertTrue(r.events() > 0 && r.snapshots() == 1 && r.indexRow(), id + " is not fully there: " + r);
        rows.put(id, r);
        history.put(id, await(node.history(id)));
      }
      return new Snapshot(rows, history);
    }

    long events(Iterable<String> ids) {
      long n = 0;
      for (String id : ids) {
        n += rows.get(id).events();
      }
      return n;
    }

    void assertUnchanged(Rebound node, RetentionTestDb db, Iterable<String> ids) throws Exception {
      for (String id : ids) {
        assertEquals(rows.get(id), db.rows(id), id);
        assertEquals(history.get(id), await(node.history(id)), id);
      }
    }
  }

  private static List<String> concat(Iterable<String> a, Iterable<String> b) {
    List<String> out = new ArrayList<>();
    a.forEach(out::add);
    b.forEach(out::add);
    return out;
  }

  private static Duration days(int n) {
    return Duration.ofDays(n);
  }

  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A clock the test moves. */
  private static final class TestClock extends Clock {
    private volatile Instant now;

    TestClock(Instant now) {
      this.now = now;
    }

    void set(Instant value) {
      now = value;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
