package io.rebound.core.item;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** An Enqueued event written before items had a group still reads, as an item without one. */
class EnqueuedCompatibilityTest {
  private static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  @Test
  void an_enqueued_event_without_the_group_field_reads_with_no_group() throws Exception {
    Serialization serialization = SerializationExtension.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(KIT.system()));
    ItemEntity.Enqueued now = new ItemEntity.Enqueued("id-1", "q", null, "{}", 5, Instant.parse("2026-01-01T00:00:00Z"), null, null, "g", null);
    Serializer serializer = serialization.findSerializerFor(now);
    String manifest = ((SerializerWithStringManifest) serializer).manifest(now);
    // The event as an older version wrote it: the same fields, without "group".
    Map<String, Object> old = new LinkedHashMap<>();
    old.put("id", "id-1");
    old.put("queue", "q");
    old.put("key", null);
    old.put("payload", "{}");
    old.put("priority", 5);
    old.put("at", "2026-01-01T00:00:00Z");
    old.put("notBefore", null);
    old.put("policy", null);
    byte[] bytes = new CBORMapper().writeValueAsBytes(old);
    ItemEntity.Enqueued read = (ItemEntity.Enqueued) serialization.deserialize(bytes, serializer.identifier(), manifest).get();
    assertEquals("q", read.queue());
    assertNull(read.group());
    ItemEntity.Enqueued roundTrip = (ItemEntity.Enqueued) serialization.deserialize(
        serialization.serialize(now).get(), serializer.identifier(), manifest).get();
    assertEquals("g", roundTrip.group());
  }
}
