package io.rebound.core.item;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.config.QueueSettings;
import io.rebound.core.item.ItemEntity.AttemptCompleted;
import io.rebound.core.item.ItemEntity.AttemptFailed;
import io.rebound.core.item.ItemEntity.Command;
import io.rebound.core.item.ItemEntity.Enqueued;
import io.rebound.core.item.ItemEntity.Event;
import io.rebound.core.item.ItemEntity.State;
import io.rebound.core.item.ItemLife.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Drives random command sequences through the pure decision function ({@link ItemLife#decide})
 * and {@link ItemEntity.State#apply}, with a model of what the actor does with the intents
 * (timers, permit, handler, passivation), and shows that every move an item makes is in {@link
 * ItemStatus#ALLOWED}, that every move in it is made by some sequence, and that whatever happened
 * so far, an item whose permits, handlers and timers keep working ends in a terminal status.
 */
class ItemLifePropertyTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Duration HORIZON = Duration.ofSeconds(10);
  private static final RetryPolicy POLICY = RetryPolicy.builder().maxAttempts(3).initial(Duration.ofSeconds(1)).build();
  private static final QueueSettings PLAIN = QueueSettings.builder("q").retryPolicy(POLICY).maxPark(Duration.ofMinutes(5)).build();
  private static final QueueSettings WITH_TOOL =
      QueueSettings.builder("q").retryPolicy(POLICY).tools(List.of("db")).maxPark(Duration.ofMinutes(5)).build();

  /** Every move seen over all tries: each must be in the table, and every entry of the table is seen. */
  private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

  /** What the test does next to the item. */
  enum Kind {
    ENQUEUE, ENQUEUE_LATER, GET, CANCEL, REDRIVE, UNPARK, GRANT, BUSY, DEFER, SUCCEED, FAIL_TRANSIENT, FAIL_PERMANENT,
    TOOL_UNAVAILABLE, STALE_OUTCOME, HEARTBEAT, FIRE_TIMER, ADVANCE, TOOLS_DOWN, TOOLS_UP, DELIVER, RESTART, IDLE, WAKE, HANDOFF
  }

  record Action(Kind kind, int n) {}

  @Provide
  Arbitrary<List<Action>> actions() {
    return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, 400))
        .as(Action::new).list().ofMaxSize(80);
  }

  @Property(tries = 2000)
  void everyMoveIsInTheTableAndEveryItemCanStillFinish(
      @ForAll("actions") List<Action> actions, @ForAll boolean withTool, @ForAll boolean firstAttemptInEnqueue) {
    Item item = new Item(withTool ? WITH_TOOL : PLAIN, firstAttemptInEnqueue);
    for (Action a : actions) {
      item.act(a);
    }
    item.runToTheEnd();
    assertTrue(item.finished(), "ends terminal: " + item.state);
  }

  @AfterContainer
  static void everyMoveOfTheTableIsMadeBySomeSequence() {
    Set<String> allowed = new java.util.TreeSet<>();
    ItemStatus.ALLOWED.forEach((from, tos) -> tos.forEach(to -> allowed.add(from + "->" + to)));
    Set<String> missing = new java.util.TreeSet<>(allowed);
    missing.removeAll(SEEN);
    assertEquals(Set.of(), missing, "moves in the table no command sequence makes");
  }

  /** One item and the model of its actor: what the entity does with the intents, without actors. */
  static final class Item {
    final QueueSettings queue;
    final boolean firstAttemptInEnqueue;
    final Random random = new Random(7);
    State state = State.empty("item-1");
    Instant now = T0;
    boolean toolsDown;
    // The incarnation (not persisted).
    boolean alive;
    ItemEntity.Enqueue enqueueing;
    boolean permitRequested;
    boolean holdingPermit;
    Integer handlerExecution;
    boolean stopping;
    boolean signalled;
    final Map<Timer, Map.Entry<Instant, Command>> timers = new EnumMap<>(Timer.class);
    /** Messages the item sent itself, not delivered yet. */
    final Deque<Command> mailbox = new ArrayDeque<>();
    /** Commands kept while an enqueue waits for its write. */
    final Deque<Command> stash = new ArrayDeque<>();

    Item(QueueSettings queue, boolean firstAttemptInEnqueue) {
      this.queue = queue;
      this.firstAttemptInEnqueue = firstAttemptInEnqueue;
    }

    void act(Action a) {
      switch (a.kind()) {
        case ENQUEUE -> tell(new ItemEntity.Enqueue("q", null, "{}", 0, null, null, null));
        case ENQUEUE_LATER -> tell(new ItemEntity.Enqueue("q", null, "{}", 0, now.plusSeconds(a.n()), null, null));
        case GET -> tell(new ItemEntity.GetItem(null));
        case CANCEL -> tell(new ItemEntity.Cancel("test", null));
        case REDRIVE -> tell(new ItemEntity.Redrive(null));
        case UNPARK -> tell(new ItemEntity.Unpark(null));
        case GRANT -> tell(new ItemEntity.PermitGranted());
        case BUSY -> tell(new ItemEntity.PermitBusy());
        case DEFER -> tell(new ItemEntity.PermitDeferred());
        case SUCCEED -> outcome(null);
        case FAIL_TRANSIENT -> outcome(ErrorKind.TRANSIENT);
        case FAIL_PERMANENT -> outcome(ErrorKind.PERMANENT);
        case TOOL_UNAVAILABLE -> outcome(ErrorKind.TOOL_UNAVAILABLE);
        case STALE_OUTCOME -> tell(completed(a.n() % 5, ErrorKind.TRANSIENT));
        case HEARTBEAT -> tell(new ItemEntity.Heartbeat(state.executions()));
        case FIRE_TIMER -> fireNextTimer();
        case ADVANCE -> now = now.plusSeconds(a.n());
        case TOOLS_DOWN -> toolsDown = true;
        case TOOLS_UP -> toolsDown = false;
        case DELIVER -> deliver();
        case RESTART -> stopActor();
        case IDLE -> tell(new ItemEntity.Idle());
        case WAKE -> tell(new ItemEntity.Wake(null));
        case HANDOFF -> tell(new ItemEntity.Stop());
      }
    }

    /**
     * Keeps the item's world working: permits are granted, handlers end (failing, so that the
     * retry policy, not luck, ends the item), timers fire, the waker wakes an item out of memory.
     */
    void runToTheEnd() {
      if (!state.exists() && enqueueing == null) {
        tell(new ItemEntity.Enqueue("q", null, "{}", 0, null, null, null));
      }
      for (int step = 0; step < 1_000 && !finished(); step++) {
        if (!mailbox.isEmpty()) {
          deliver();
        } else if (enqueueing != null || permitRequested) {
          tell(new ItemEntity.PermitGranted());
        } else if (handlerExecution != null && state.status() == ItemStatus.RUNNING && state.executions() == handlerExecution) {
          outcome(ErrorKind.TRANSIENT);
        } else if (!timers.isEmpty()) {
          fireNextTimer();
        } else {
          // Out of memory, or waiting for nothing the model sends by itself: the waker wakes it when due.
          if (state.nextAttemptAt() != null && state.nextAttemptAt().isAfter(now)) {
            now = state.nextAttemptAt();
          }
          tell(new ItemEntity.Wake(null));
          if (timers.isEmpty() && mailbox.isEmpty() && !permitRequested && enqueueing == null && handlerExecution == null
              && !finished()) {
            // A handler that was cut off (a restart) leaves the item RUNNING until the recovery's orphan check.
            stopActor();
            tell(new ItemEntity.Idle());
            if (timers.isEmpty() && mailbox.isEmpty() && !permitRequested && handlerExecution == null) {
              throw new AssertionError("stuck, nothing left that would move it: " + state);
            }
          }
        }
      }
    }

    boolean finished() {
      return state.exists() && state.status().isTerminal();
    }

    private void outcome(ErrorKind kind) {
      int execution = handlerExecution != null ? handlerExecution : state.executions();
      tell(completed(execution, kind));
    }

    private static AttemptCompleted completed(int execution, ErrorKind kind) {
      return new AttemptCompleted(execution, kind, kind == null ? null : "boom", null, null, List.of());
    }

    private void fireNextTimer() {
      timers.keySet().stream().min(Comparator.comparing(t -> timers.get(t).getKey())).ifPresent(t -> {
        Map.Entry<Instant, Command> due = timers.remove(t);
        if (due.getKey().isAfter(now)) {
          now = due.getKey();
        }
        tell(due.getValue());
      });
    }

    private void deliver() {
      Command c = mailbox.poll();
      if (c != null) {
        tell(c);
      }
    }

    /** The actor stops (a passivation, a crash, a rebalance): everything not in the journal is gone. */
    private void stopActor() {
      alive = false;
      enqueueing = null;
      permitRequested = false;
      holdingPermit = false;
      handlerExecution = null;
      stopping = false;
      signalled = false;
      timers.clear();
      mailbox.clear();
      stash.clear();
    }

    void tell(Command c) {
      if (!alive) {
        alive = true;
        ItemLife.recovered(state, now, HORIZON).forEach(this::carry);
      }
      ItemLife.Decision d = ItemLife.decide(state, c, context());
      d.first().forEach(this::carry);
      if (d.stash()) {
        stash.addLast(c);
        return;
      }
      if (d.stop()) {
        stopActor();
        return;
      }
      for (Event e : d.events()) {
        apply(e);
      }
      d.then().forEach(this::carry);
      if (d.unstash()) {
        while (!stash.isEmpty()) {
          mailbox.addFirst(stash.pollLast());
        }
      }
    }

    private void apply(Event e) {
      ItemStatus from = state.status();
      ItemStatus to = ItemEvents.statusAfter(e);
      if (from == null) {
        assertTrue(e instanceof Enqueued, "only an Enqueued starts an item: " + e);
      } else if (to == null) {
        assertTrue(e instanceof AttemptFailed && from == ItemStatus.RUNNING, "only a failed attempt stays RUNNING: " + e);
      } else {
        assertTrue(from.canMoveTo(to), from + " -> " + to + " by " + e);
        SEEN.add(from + "->" + to);
      }
      State next = state.apply(e);
      assertEquals(to == null ? (from == null ? ItemStatus.PENDING : from) : to, next.status(), "State.apply follows ItemEvents");
      state = next;
    }

    private ItemLife.Context context() {
      List<String> down = toolsDown ? queue.tools() : List.of();
      ItemLife.Incarnation inc = new ItemLife.Incarnation(enqueueing, permitRequested, holdingPermit, handlerExecution, stopping,
          signalled, false, false, false, false);
      return new ItemLife.Context(now, queue, true, down, POLICY, queue, random, HORIZON, firstAttemptInEnqueue, inc, false);
    }

    /** What the entity does with an intent, as far as the item's own life is concerned. */
    private void carry(ItemLife.Intent intent) {
      if (intent instanceof ItemLife.RequestPermit) {
        permitRequested = true;
      } else if (intent instanceof ItemLife.TryFirstPermit t) {
        enqueueing = t.enqueue();
      } else if (intent instanceof ItemLife.EnqueueAnswered) {
        enqueueing = null;
      } else if (intent instanceof ItemLife.ReturnPermit) {
        permitRequested = false;
        holdingPermit = false;
      } else if (intent instanceof ItemLife.HoldPermit) {
        permitRequested = false;
        holdingPermit = true;
      } else if (intent instanceof ItemLife.ForgetRequest) {
        permitRequested = false;
      } else if (intent instanceof ItemLife.InvokeHandler) {
        assertNotNull(state.status());
        assertEquals(ItemStatus.RUNNING, state.status(), "a handler runs only for a RUNNING item");
        assertTrue(handlerExecution == null, "one handler at a time");
        handlerExecution = state.executions();
        timers.put(Timer.ATTEMPT, Map.entry(now.plus(queue.attemptTimeout()), new ItemEntity.AttemptTimedOut(handlerExecution)));
      } else if (intent instanceof ItemLife.SignalHandler) {
        // As the entity: a handler is told once, and its kill grace starts then.
        if (handlerExecution != null && !signalled) {
          signalled = true;
          timers.put(Timer.KILL, Map.entry(now.plus(queue.attemptKillGrace()), new ItemEntity.HandlerGraceOver(handlerExecution)));
        }
      } else if (intent instanceof ItemLife.HandlerEnded) {
        handlerExecution = null;
        signalled = false;
        timers.remove(Timer.KILL);
      } else if (intent instanceof ItemLife.StopWhenHandlerEnds) {
        stopping = true;
      } else if (intent instanceof ItemLife.StartTimer t) {
        timers.put(t.timer(), Map.entry(now.plus(t.delay()), t.message()));
      } else if (intent instanceof ItemLife.CancelTimer t) {
        timers.remove(t.timer());
      } else if (intent instanceof ItemLife.TellSelf t) {
        mailbox.addLast(t.message());
      } else if (intent instanceof ItemLife.Passivate) {
        // The shard answers with its stop message.
        mailbox.addLast(new ItemEntity.Stop());
      } else if (intent instanceof ItemLife.PassivateWhenIdle) {
        timers.put(Timer.IDLE, Map.entry(now.plusSeconds(2), new ItemEntity.Idle()));
      } else if (intent instanceof ItemLife.Align) {
        if (state.exists()) {
          ItemLife.Incarnation inc = context().incarnation();
          ItemLife.align(state, inc, now, HORIZON).forEach(this::carry);
        }
      }
      // Publishing, replies to the waker, tool reports and parking registrations do not change the item.
    }
  }

  @Property(tries = 2000)
  void aPermitIsNeverAskedForWhileOneIsHeldNorHeldWithoutAnAttempt(@ForAll("actions") List<Action> actions) {
    Item item = new Item(PLAIN, false);
    for (Action a : actions) {
      item.act(a);
      assertFalse(item.permitRequested && item.holdingPermit, "asking for a permit while holding one: " + item.state);
      if (item.state.exists() && item.state.status() != ItemStatus.RUNNING && item.handlerExecution == null) {
        assertFalse(item.holdingPermit, "a permit held with no attempt running: " + item.state);
      }
    }
  }
}
