package io.rebound.core.item;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.rebound.api.JobHandler;
import io.rebound.api.RetryPolicy;
import io.rebound.api.TransientException;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.dispatch.Dispatcher;
import io.rebound.core.item.ItemEntity.Command;
import io.rebound.core.item.ItemEntity.Event;
import io.rebound.core.item.ItemEntity.Reply;
import io.rebound.core.item.ItemEntity.State;
import io.rebound.core.item.ItemEntity.WakeOutcome;
import io.rebound.core.item.ItemEntity.Woken;
import io.rebound.core.tools.ToolHealth;
import io.rebound.core.tools.ToolSupervisor;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Only items with work within the horizon stay in memory; the waker brings the others back. */
@ExtendWith(TestKitJUnit5Extension.class)
class ItemHorizonTest {

  @JUnit5TestKit
  ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withCustomConfig(EventSourcedBehaviorTestKit.config()
          .withFallback(ManualTime.config())
          .withFallback(ConfigFactory.load()))
      .build();

  private static final Duration HORIZON = Duration.ofSeconds(10);
  private final ItemEntityTest.TestClock clock = new ItemEntityTest.TestClock();
  private final LinkedBlockingQueue<CompletableFuture<Void>> attempts = new LinkedBlockingQueue<>();
  private final JobHandler controlled = ctx -> {
    CompletableFuture<Void> f = new CompletableFuture<>();
    attempts.add(f);
    return f;
  };
  private ManualTime time;
  private TestProbe<Dispatcher.Command> dispatcher;
  private TestProbe<ClusterSharding.ShardCommand> shard;
  private TestProbe<Woken> waker;
  private EventSourcedBehaviorTestKit<Command, Event, State> item;

  @BeforeEach
  void setUp() {
    time = ManualTime.get(testKit.system());
    dispatcher = testKit.createTestProbe(Dispatcher.Command.class);
    shard = testKit.createTestProbe(ClusterSharding.ShardCommand.class);
    waker = testKit.createTestProbe(Woken.class);
    RetryPolicy oneMinute = RetryPolicy.builder()
        .maxAttempts(3).initial(Duration.ofMinutes(1)).jitter(RetryPolicy.Jitter.NONE).build();
    QueueSettings q = QueueSettings.builder("q").retryPolicy(oneMinute).build();
    ItemRuntime rt = new ItemRuntime(Map.of("q", q), Map.of("q", controlled), dispatcher.getRef(), Runnable::run, clock,
        new ToolHealth(List.of()), testKit.createTestProbe(ToolSupervisor.Command.class).getRef(), 4, HORIZON);
    item = EventSourcedBehaviorTestKit.create(testKit.system(), ItemEntity.create(ItemIds.random(), Optional.of(shard.getRef()), rt));
  }

  private void enqueue(Duration delay) {
    Instant notBefore = delay.isZero() ? null : clock.instant().plus(delay);
    item.<Reply>runCommand(r -> new ItemEntity.Enqueue("q", null, "{}", 5, notBefore, null, r));
  }

  private void advance(Duration d) {
    clock.add(d);
    time.timePasses(d);
  }

  private Dispatcher.Request expectRequest() {
    Dispatcher.Command m = dispatcher.receiveMessage();
    while (!(m instanceof Dispatcher.Request)) {
      m = dispatcher.receiveMessage();
    }
    return (Dispatcher.Request) m;
  }

  @Test
  void anItemDelayedBeyondTheHorizonLeavesMemoryAtOnceAndAsksForNoPermit() {
    enqueue(Duration.ofHours(1));
    assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage());
    dispatcher.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void anItemDueWithinTheHorizonStaysWithItsTimerAndAsksForAPermitWhenDue() {
    enqueue(Duration.ofSeconds(5));
    shard.expectNoMessage(Duration.ofMillis(100));
    advance(Duration.ofSeconds(5));
    expectRequest();
  }

  @Test
  void aBackoffBeyondTheHorizonSendsTheItemOutOfMemoryAfterItsAttempt() throws Exception {
    enqueue(Duration.ZERO);
    Dispatcher.Request r = expectRequest();
    r.replyTo().tell(new Dispatcher.Granted(r.itemId()));
    attempts.take().completeExceptionally(new TransientException("down"));
    assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage());
    assertEquals(ItemStatus.WAITING, item.getState().status());
  }

  @Test
  void aWokenItemThatIsDueAnswersOnceItsAttemptStarted() throws Exception {
    enqueue(Duration.ofMinutes(10));
    shard.receiveMessage();
    // Woken when due: a new incarnation recovers from the journal.
    clock.add(Duration.ofMinutes(10));
    item.restart();
    item.runCommand(new ItemEntity.Wake(waker.getRef()));
    Dispatcher.Request r = expectRequest();
    waker.expectNoMessage(Duration.ofMillis(100));
    r.replyTo().tell(new Dispatcher.Granted(r.itemId()));
    assertEquals(WakeOutcome.STARTED, waker.receiveMessage().outcome());
  }

  @Test
  void anItemStartedBeforeItWasDueTakesItsWorkUpWhenWokenOnTime() throws Exception {
    enqueue(Duration.ofMinutes(10));
    shard.receiveMessage();
    // A status query brings it into memory early; it stays a moment, and the wake comes on time.
    item.restart();
    clock.add(Duration.ofMinutes(10));
    item.runCommand(new ItemEntity.Wake(waker.getRef()));
    expectRequest();
  }

  @Test
  void aWokenItemWhoseQueueIsFullIsDeferredAndLeavesMemory() {
    enqueue(Duration.ZERO);
    item.runCommand(new ItemEntity.Wake(waker.getRef()));
    Dispatcher.Request r = expectRequest();
    r.replyTo().tell(new Dispatcher.Deferred(r.itemId()));
    assertEquals(WakeOutcome.DEFERRED, waker.receiveMessage().outcome());
    assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage());
  }

  @Test
  void aWokenItemWithNothingToDoSaysSo() {
    enqueue(Duration.ofHours(1));
    shard.receiveMessage();
    item.runCommand(new ItemEntity.Wake(waker.getRef()));
    assertEquals(WakeOutcome.IDLE, waker.receiveMessage().outcome());
  }
}
