package io.rebound.core.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** An item's Park reaches its tool's MissingMetadata: acknowledged, or repeated until it is. */
class ParkRegistrationTest {
  // MissingMetadata looks up cluster sharding: a cluster provider, never joined.
  private static final ActorTestKit KIT = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseString(
      "pekko.actor.provider = cluster\npekko.remote.artery.canonical.port = 0\npekko.remote.artery.canonical.hostname = 127.0.0.1"));

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  private static ActorRef<MissingMetadata.Command> missingMetadata() {
    // The tool is down: a Park is only acknowledged (nothing to release, no database needed).
    return KIT.spawn(MissingMetadata.create("db", new MissingMetadata.Runtime(Map.of("db", 10), 10,
        new ToolHealth(List.of("db")), Clock.systemUTC(), null,
        (id, timeout) -> { throw new AssertionError("nothing is unparked while the tool is down"); })));
  }

  /** Drops the first {@code lost} messages, passes the rest on. */
  private static Behavior<MissingMetadata.Command> lossy(int lost, AtomicInteger seen, ActorRef<MissingMetadata.Command> to) {
    return Behaviors.receiveMessage(m -> {
      if (seen.incrementAndGet() > lost) {
        to.tell(m);
      }
      return Behaviors.same();
    });
  }

  @Test
  void missing_metadata_acknowledges_a_park() throws Exception {
    Done done = ParkRegistration.register(KIT.system(), missingMetadata(), "item-1", 5, Instant.now())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(Done.getInstance(), done);
  }

  @Test
  void a_lost_park_is_repeated_until_acknowledged() throws Exception {
    AtomicInteger seen = new AtomicInteger();
    ActorRef<MissingMetadata.Command> flaky = KIT.spawn(lossy(2, seen, missingMetadata()));
    ParkRegistration.register(KIT.system(), flaky, "item-2", 5, Instant.now(), Duration.ofMillis(300), Duration.ofMillis(50), 10)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(3, seen.get(), "two lost, the third acknowledged, no more");
  }
}
