package io.rebound.core.tools;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rebound.core.storage.IndexDatabase;
import io.rebound.core.index.IndexSchema;
import io.rebound.core.item.ItemEntity;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * MissingMetadata alone: a real index table of parked rows, a one-node cluster whose items record
 * the releases they are asked for, and time that moves only when the test says (ManualTime for
 * the actors' timers, a clock moved with it).
 */
class MissingMetadataTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration TICK = Duration.ofMillis(100);

  /** A clock that moves only with {@link #advance}, together with the actors' manual scheduler. */
  static final class TestClock extends Clock {
    private volatile Instant now = START;

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

  // One cluster for the class (starting one takes a while): each test has its own tool, items and probe.
  private static ActorTestKit testKit;
  private static ManualTime time;
  private static volatile ActorRef<String> recorder;
  /** Items that leave their next release unanswered (as one whose node is gone). */
  private static final Set<String> silentOnce = ConcurrentHashMap.newKeySet();
  private static int tools;

  private final String tool = "tool-" + ++tools;
  private final TestClock clock = new TestClock();
  private final ToolHealth health = new ToolHealth(List.of(tool));
  /** The ids of the items asked to release, in the order asked. */
  private TestProbe<String> released;
  private ExecutorService blocking;
  private IndexDatabase db;
  private Connection keepAlive;

  @BeforeAll
  static void startCluster() {
    testKit = ActorTestKit.create(ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.loglevel = WARNING
            """)
        .withFallback(ManualTime.config())
        .withFallback(ConfigFactory.load()));
    time = ManualTime.get(testKit.system());
    ClusterSharding.get(testKit.system()).init(Entity.of(ItemEntity.ENTITY_TYPE_KEY, ctx -> Behaviors.receive(ItemEntity.Command.class)
        .onMessage(ItemEntity.Unpark.class, r -> {
          if (!ctx.getEntityId().equals("warm-up")) {
            recorder.tell(ctx.getEntityId().substring(ctx.getEntityId().indexOf('/') + 1));
          }
          if (!silentOnce.remove(ctx.getEntityId())) {
            r.replyTo().tell(Done.getInstance());
          }
          return Behaviors.same();
        })
        .build()));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    // The cluster's own timers run on the manual scheduler too: moved here until an item answers
    // through sharding, before the test's clock starts.
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
      time.timePasses(Duration.ofSeconds(1));
      return cluster.selfMember().status() == MemberStatus.up();
    });
    var warmUp = ClusterSharding.get(testKit.system()).entityRefFor(ItemEntity.ENTITY_TYPE_KEY, "warm-up")
        .<Done>ask(ItemEntity.Unpark::new, Duration.ofMinutes(10)).toCompletableFuture();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
      time.timePasses(Duration.ofSeconds(1));
      return warmUp.isDone();
    });
  }

  @AfterAll
  static void stopCluster() {
    // Shutting down waits on timers too: time moves until the system is gone.
    var terminated = testKit.system().getWhenTerminated().toCompletableFuture();
    testKit.system().terminate();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
      time.timePasses(Duration.ofSeconds(1));
      return terminated.isDone();
    });
  }

  @BeforeEach
  void createIndex() throws SQLException {
    released = testKit.createTestProbe(String.class);
    recorder = released.getRef();
    String url = "jdbc:h2:mem:missing-metadata-" + System.nanoTime() + ";DATABASE_TO_UPPER=false;DB_CLOSE_DELAY=-1";
    keepAlive = DriverManager.getConnection(url);
    IndexSchema.ensure(keepAlive, Map.of());
    blocking = Executors.newFixedThreadPool(2);
    db = new IndexDatabase(url, "", "", 2, blocking);
  }

  @AfterEach
  void dropIndex() throws SQLException {
    db.close();
    keepAlive.close();
    blocking.shutdownNow();
  }

  // ---- helpers ----------------------------------------------------------------------------

  private ActorRef<MissingMetadata.Command> start(int releaseRate) {
    return testKit.spawn(MissingMetadata.create(tool, new MissingMetadata.Runtime(Map.of(tool, releaseRate), releaseRate, health, clock, db,
        (id, timeout) -> ClusterSharding.get(testKit.system()).entityRefFor(ItemEntity.ENTITY_TYPE_KEY, id).<Done>ask(ItemEntity.Unpark::new, timeout))));
  }

  private void tool(ToolState state) {
    health.put(new ToolView(tool, state, clock.instant(), null, false));
  }

  private void advance(Duration d) {
    clock.now = clock.now.plus(d);
    time.timePasses(d);
  }

  /** A row of rebound_parked, as the index projection writes it from the item's Parked event. */
  private record Row(String id, int priority, Instant parkedAt) {}

  private static final Comparator<Row> RELEASE_ORDER =
      Comparator.comparing(Row::priority).reversed().thenComparing(Row::parkedAt).thenComparing(Row::id);

  private void park(Row r) throws SQLException {
    try (PreparedStatement st = keepAlive.prepareStatement(
        "INSERT INTO rebound_parked (tool, id, priority, parked_at) VALUES (?, ?, ?, ?)")) {
      st.setString(1, tool);
      st.setString(2, tool + "/" + r.id());
      st.setInt(3, r.priority());
      st.setObject(4, r.parkedAt().atOffset(ZoneOffset.UTC));
      st.executeUpdate();
    }
  }

  /** As the projection does on the item's Unparked event. */
  private void unpark(String id) throws SQLException {
    try (PreparedStatement st = keepAlive.prepareStatement("DELETE FROM rebound_parked WHERE tool = ? AND id = ?")) {
      st.setString(1, tool);
      st.setString(2, tool + "/" + id);
      st.executeUpdate();
    }
  }

  private List<Row> parkMany(int n) throws SQLException {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Row r = new Row("item-" + i, i % 3 * 4, START.minusSeconds(100 - i));
      park(r);
      rows.add(r);
    }
    return rows;
  }

  /**
   * Moves time a tick at a time until {@code count} releases were asked, unparking each as its
   * item would.
   *
   * @return the ids in the order asked, and the ticks it took
   */
  private record Releases(List<String> ids, int ticks) {}

  private Releases releasesOver(int count, int maxTicks) throws SQLException {
    return releasesOver(count, maxTicks, true);
  }

  /** @param unpark whether each released row leaves the index (as once its item's Unparked is projected) */
  private Releases releasesOver(int count, int maxTicks, boolean unpark) throws SQLException {
    List<String> ids = new ArrayList<>();
    int ticks = 0;
    while (ids.size() < count && ticks < maxTicks) {
      advance(TICK);
      ticks++;
      // A release is asked during a tick; the rows it releases were read before, on a real thread.
      for (String one = pollOne(); one != null; one = pollOne()) {
        ids.add(one);
        if (unpark) {
          unpark(one);
        }
      }
    }
    return new Releases(ids, ticks);
  }

  private String pollOne() {
    try {
      return released.receiveMessage(Duration.ofMillis(60));
    } catch (AssertionError none) {
      return null;
    }
  }

  // ---- tests ------------------------------------------------------------------------------

  @Test
  void whenTheToolIsBackItReleasesWhatIsParkedInReleaseOrderNoFasterThanTheReleaseRate() throws SQLException {
    List<Row> rows = parkMany(25);
    var mm = start(10);
    tool(ToolState.UP);
    mm.tell(new MissingMetadata.ToolUp());

    Releases r = releasesOver(25, 200);

    assertEquals(rows.stream().sorted(RELEASE_ORDER).map(Row::id).toList(), r.ids());
    // 10 a second is one per 100 ms tick: 25 take at least 25 ticks, however fast the rows are read.
    assertTrue(r.ticks() >= 25, "released 25 in " + r.ticks() + " ticks");
  }

  @Test
  void nothingIsReleasedWhileTheToolIsDown() throws SQLException {
    parkMany(5);
    tool(ToolState.DOWN);
    var mm = start(10);
    mm.tell(new MissingMetadata.Park(tool + "/item-9", 5, START, null));

    time.expectNoMessageFor(Duration.ofSeconds(60), released);
    assertEquals(List.of(), releasesOver(1, 20).ids());
  }

  @Test
  void anItemThatParksWhileTheToolIsUpIsReleasedAtOnceBeforeTheIndexShowsIt() {
    tool(ToolState.UP);
    var mm = start(10);
    TestProbe<Done> ack = testKit.createTestProbe(Done.class);

    mm.tell(new MissingMetadata.Park(tool + "/late", 5, START, ack.getRef()));

    ack.expectMessage(Done.getInstance());
    assertEquals("late", released.receiveMessage(Duration.ofSeconds(5)));
  }

  @Test
  void aNodeThatStartsWithTheToolUpReleasesWhatIsStillParkedWithoutAToolUp() throws SQLException {
    List<Row> rows = parkMany(3);
    tool(ToolState.UP);
    start(50);

    // Five a tick at 50/s: asked in order, but of different items, so they may arrive in any order.
    assertEquals(Set.of("item-0", "item-1", "item-2"), Set.copyOf(releasesOver(3, 50).ids()));
  }

  @Test
  void aReleaseTheItemDoesNotConfirmIsAskedAgainAndAConfirmedOneIsNotWhileTheIndexCatchesUp() throws SQLException {
    park(new Row("lost", 5, START.minusSeconds(10)));
    park(new Row("kept", 1, START.minusSeconds(10)));
    silentOnce.add(tool + "/lost");
    var mm = start(10);
    tool(ToolState.UP);
    mm.tell(new MissingMetadata.ToolUp());

    // Neither row leaves the index here: as if the index had not caught up with either item.
    assertEquals(List.of("lost", "kept"), releasesOver(2, 50, false).ids());
    // "lost" is not asked again while its ask is out, nor "kept" since it was released lately (30 s).
    time.expectNoMessageFor(Duration.ofSeconds(9), released);
    // Then the unanswered ask times out (10 s), and a later scan asks "lost" again.
    assertEquals(List.of("lost"), releasesOver(1, 30, false).ids());
    time.expectNoMessageFor(Duration.ofSeconds(10), released);
    assertEquals(List.of(), releasesOver(1, 20, false).ids());
  }

  @Test
  void releasingStopsWhenTheToolIsDownAgainAndGoesOnAtTheNextToolUp() throws SQLException {
    List<Row> rows = parkMany(12);
    var mm = start(10);
    tool(ToolState.UP);
    mm.tell(new MissingMetadata.ToolUp());
    List<String> first = releasesOver(4, 100).ids();

    tool(ToolState.DOWN);
    advance(TICK);
    // A release asked in the tick that saw it down may still arrive; after that, nothing.
    String straggler = pollOne();
    if (straggler != null) {
      unpark(straggler);
    }
    assertEquals(List.of(), releasesOver(1, 50).ids());

    tool(ToolState.UP);
    mm.tell(new MissingMetadata.ToolUp());
    int left = rows.size() - first.size() - (straggler == null ? 0 : 1);
    List<String> rest = releasesOver(left, 200).ids();

    List<String> all = new ArrayList<>(first);
    if (straggler != null) {
      all.add(straggler);
    }
    all.addAll(rest);
    assertEquals(rows.stream().sorted(RELEASE_ORDER).map(Row::id).toList(), all);
  }

  @Test
  void anOperatorsReleaseWhileTheToolIsDownTakesWhatIsParkedUntilThenAndNothingLater() throws SQLException {
    park(new Row("before", 5, START.minusSeconds(5)));
    park(new Row("after", 5, START.plusSeconds(5)));
    tool(ToolState.DOWN);
    var mm = start(10);
    TestProbe<MissingMetadata.ReleaseStarted> started = testKit.createTestProbe(MissingMetadata.ReleaseStarted.class);

    mm.tell(new MissingMetadata.ReleaseAll(started.getRef()));

    assertEquals(1, started.receiveMessage(Duration.ofSeconds(5)).items());
    assertEquals(List.of("before"), releasesOver(1, 50).ids());
    assertEquals(List.of(), releasesOver(1, 50).ids());
  }
}
