package io.rebound.core.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rebound.core.enqueue.EnqueueRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The runner with time in the test's hands (ManualTime and a clock moved together). */
@ExtendWith(TestKitJUnit5Extension.class)
class ScheduleRunnerTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(EventSourcedBehaviorTestKit.config()
          .withFallback(ManualTime.config())
          .withFallback(ConfigFactory.load()))
      .build();

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    private volatile Instant now;

    TestClock(Instant start) {
      now = start;
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

    void add(Duration d) {
      now = now.plus(d);
    }
  }

  private TestClock clock;
  private ManualTime time;
  private TestProbe<ScheduleRunner.Answer> probe;
  /** The keys of the items the runner enqueued, in order. */
  private final List<String> made = new CopyOnWriteArrayList<>();
  /** Enqueues to fail before they succeed again. */
  private final AtomicInteger failures = new AtomicInteger();
  private final ScheduleRunner.Enqueuer enqueuer = (queue, request) -> {
    if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return CompletableFuture.failedFuture(new IllegalStateException("database down"));
    }
    made.add(request.key().orElseThrow());
    return CompletableFuture.completedFuture("id-" + request.key().orElseThrow());
  };
  private ActorRef<ScheduleRunner.Command> runner;

  @BeforeEach
  void setUp() {
    PersistenceTestKit.create(testKit.system()).clearAll();
    time = ManualTime.get(testKit.system());
    probe = testKit.createTestProbe(ScheduleRunner.Answer.class);
  }

  private static ScheduleSettings settings(String cron, Missed missed) {
    Schedule s = Schedule.builder("s").cron(cron).queue("q").missed(missed).build();
    return new ScheduleSettings(Map.of("s", s), Duration.ofSeconds(30), 100, Duration.ofSeconds(5));
  }

  private void start(ScheduleSettings settings) {
    runner = testKit.spawn(ScheduleRunner.create(settings, enqueuer, clock));
    settle();
  }

  /** Stops the runner, as a crash or a move to another node would. */
  private void stop() {
    testKit.stop(runner);
  }

  /**
   * Round trips until the runner has handled everything its last steps sent itself: the enqueuer
   * answers at once, so a step's next message is in the mailbox before the step ends, and three
   * answers in a row with nothing new made and the same view mean there is none.
   */
  private ScheduleView settle() {
    ScheduleRunner.Answer last = null;
    int made0 = -1;
    for (int same = 0; same < 3; ) {
      runner.tell(new ScheduleRunner.Get(probe.getRef()));
      ScheduleRunner.Answer a = probe.receiveMessage();
      same = a.equals(last) && made.size() == made0 ? same + 1 : 0;
      last = a;
      made0 = made.size();
    }
    return last.schedules().get(0);
  }

  private ScheduleView advance(Duration d) {
    clock.add(d);
    time.timePasses(d);
    return settle();
  }

  private static String key(String tick) {
    return "schedule:s:" + tick;
  }

  @Test
  void everyTickMakesOneItemWithTheTickInItsKey() {
    clock = new TestClock(Instant.parse("2026-01-01T00:00:00.500Z"));
    start(settings("*/2 * * * * *", Missed.RUN_ONCE));
    assertEquals(List.of(), made);
    advance(Duration.ofMillis(1500));
    assertEquals(List.of(key("2026-01-01T00:00:02Z")), made);
    advance(Duration.ofSeconds(1));
    assertEquals(1, made.size(), "nothing between ticks");
    ScheduleView v = advance(Duration.ofSeconds(1));
    assertEquals(List.of(key("2026-01-01T00:00:02Z"), key("2026-01-01T00:00:04Z")), made);
    assertEquals(Instant.parse("2026-01-01T00:00:04Z"), v.lastTick());
    assertEquals("id-" + key("2026-01-01T00:00:04Z"), v.lastItemId());
    assertEquals(Instant.parse("2026-01-01T00:00:06Z"), v.nextTick());
  }

  @Test
  void afterDowntimeRunOnceMakesOneItemForTheMissedTicks() {
    clock = new TestClock(Instant.parse("2026-01-01T00:00:30Z"));
    start(settings("0 * * * * *", Missed.RUN_ONCE));
    advance(Duration.ofSeconds(30));
    stop();
    clock.add(Duration.ofMinutes(9).plusSeconds(45)); // down until 00:10:45: ticks 00:02 to 00:10 missed
    start(settings("0 * * * * *", Missed.RUN_ONCE));
    assertEquals(List.of(key("2026-01-01T00:01:00Z"), key("2026-01-01T00:10:00Z")), made);
    advance(Duration.ofSeconds(15));
    assertEquals(key("2026-01-01T00:11:00Z"), made.get(2));
  }

  @Test
  void afterDowntimeSkipMakesNoItemForTheMissedTicks() {
    clock = new TestClock(Instant.parse("2026-01-01T00:00:30Z"));
    start(settings("0 * * * * *", Missed.SKIP));
    advance(Duration.ofSeconds(30));
    stop();
    clock.add(Duration.ofMinutes(9).plusSeconds(45));
    start(settings("0 * * * * *", Missed.SKIP));
    assertEquals(List.of(key("2026-01-01T00:01:00Z")), made);
    advance(Duration.ofSeconds(15));
    assertEquals(List.of(key("2026-01-01T00:01:00Z"), key("2026-01-01T00:11:00Z")), made);
  }

  @Test
  void afterDowntimeRunAllMakesEveryMissedTicksItemInOrder() {
    clock = new TestClock(Instant.parse("2026-01-01T00:00:30Z"));
    start(settings("0 * * * * *", Missed.RUN_ALL));
    advance(Duration.ofSeconds(30));
    stop();
    clock.add(Duration.ofMinutes(9).plusSeconds(45));
    start(settings("0 * * * * *", Missed.RUN_ALL));
    assertEquals(10, made.size(), made.toString());
    for (int m = 1; m <= 10; m++) {
      assertEquals(key(String.format("2026-01-01T00:%02d:00Z", m)), made.get(m - 1));
    }
  }

  @Test
  void aPauseIsDurableAndTheTicksWhilePausedAreNotMadeUp() {
    clock = new TestClock(Instant.parse("2026-01-01T00:00:00.500Z"));
    start(settings("*/2 * * * * *", Missed.RUN_ALL));
    runner.tell(new ScheduleRunner.Pause("s", probe.getRef()));
    ScheduleView paused = probe.receiveMessage().schedules().get(0);
    assertTrue(paused.paused());
    assertNull(paused.nextTick());
    advance(Duration.ofSeconds(5));
    stop();
    start(settings("*/2 * * * * *", Missed.RUN_ALL));
    assertTrue(advance(Duration.ofSeconds(5)).paused(), "still paused after a restart");
    assertEquals(List.of(), made);
    runner.tell(new ScheduleRunner.Resume("s", probe.getRef()));
    assertFalse(probe.receiveMessage().schedules().get(0).paused());
    settle();
    assertEquals(List.of(), made, "nothing made up for 00:00:02 to 00:00:10");
    advance(Duration.ofMillis(1500));
    assertEquals(List.of(key("2026-01-01T00:00:12Z")), made);
  }

  @Test
  void aTriggerMakesAnItemNowWithAKeyOfItsOwn() {
    clock = new TestClock(Instant.parse("2026-01-01T00:00:00.500Z"));
    start(settings("0 0 * * * *", Missed.RUN_ONCE));
    runner.tell(new ScheduleRunner.Trigger("s", probe.getRef()));
    ScheduleRunner.Answer a = probe.receiveMessage();
    assertEquals(List.of("schedule:s:trigger:2026-01-01T00:00:00.500Z"), made);
    assertEquals("id-schedule:s:trigger:2026-01-01T00:00:00.500Z", a.itemId());
    assertEquals(a.itemId(), a.schedules().get(0).lastItemId());
    assertNull(a.schedules().get(0).lastTick(), "a trigger is no tick");
  }

  @Test
  void anUnknownScheduleIsNamedInTheAnswer() {
    clock = new TestClock(Instant.parse("2026-01-01T00:00:00.500Z"));
    start(settings("0 0 * * * *", Missed.RUN_ONCE));
    runner.tell(new ScheduleRunner.Pause("nope", probe.getRef()));
    assertEquals("nope", probe.receiveMessage().unknown());
  }

  @Test
  void aFailedEnqueueIsTriedAgainWithTheSameKey() {
    clock = new TestClock(Instant.parse("2026-01-01T00:00:00.500Z"));
    start(settings("*/10 * * * * *", Missed.SKIP));
    failures.set(1);
    advance(Duration.ofMillis(9500));
    assertEquals(List.of(), made);
    advance(Duration.ofSeconds(5)); // the retry interval
    assertEquals(List.of(key("2026-01-01T00:00:10Z")), made);
  }
}
