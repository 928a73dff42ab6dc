package io.rebound.core.item;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Journals written before the traceparent field still read back. */
class EnqueuedTraceparentCompatibilityTest {
  private static ActorSystem<Void> system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "compat");
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  @Test
  void an_enqueued_event_written_without_a_traceparent_reads_back_with_none() throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    ItemEntity.Enqueued now = new ItemEntity.Enqueued("id-1", "q", "k", "{\"a\":1}", 5, Instant.parse("2026-11-30T12:00:00Z"), null,
        null, null, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    Serializer serializer = serialization.findSerializerFor(now);
    String manifest = Serializers.manifestFor(serializer, now);
    // The bytes an older version wrote: the same event without the field.
    CBORMapper cbor = new CBORMapper();
    ObjectNode tree = (ObjectNode) cbor.readTree(serializer.toBinary(now));
    tree.remove("traceparent");
    byte[] old = cbor.writeValueAsBytes(tree);

    ItemEntity.Enqueued read = (ItemEntity.Enqueued) serialization.deserialize(old, serializer.identifier(), manifest).get();
    assertNull(read.traceparent());
    assertEquals(new ItemEntity.Enqueued("id-1", "q", "k", "{\"a\":1}", 5, Instant.parse("2026-11-30T12:00:00Z"), null, null), read);
    assertEquals(now, serialization.deserialize(serializer.toBinary(now), serializer.identifier(), manifest).get());
  }
}
