package io.rebound.core.crypto;

import static io.rebound.core.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One data directory through three lives: no key, key A, then key B with A as an old key. Items
 * dead-lettered in one life are redriven and succeed in the next; the handler's failure message
 * quotes the payload, so errors must be encrypted too.
 */
class EncryptionAtRestTest {
  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
  private static final String PLAIN = "PLAINTEXT-BEFORE-ENCRYPTION-" + RUN;
  private static final String SECRET_A = "SECRET-UNDER-KEY-A-" + RUN;
  private static final String SECRET_B = "SECRET-UNDER-KEY-B-" + RUN;

  /** The life the node is in: a payload {"until": n} fails permanently in every life before n. */
  private static volatile int life;

  @TempDir Path dir;

  private static final JobHandler HANDLER = ctx -> {
    int until = Integer.parseInt(ctx.payloadJson().replaceAll(".*\"until\":(\\d+).*", "$1"));
    if (life < until) {
      // Handlers often quote what they could not handle: this message carries the payload.
      throw new PermanentException("cannot handle " + ctx.payloadJson());
    }
    return CompletableFuture.completedFuture(null);
  };

  private Rebound start(String encryption) {
    Config config = TestNodes.config(dir.resolve("data"), """
        rebound.queues.work { retry { max-attempts = 1 } }
        rebound.retention.enabled = off
        """ + encryption);
    return Rebound.start(config, Map.of("work", HANDLER));
  }

  private Path key(String name, int seed) throws Exception {
    byte[] k = new byte[32];
    java.util.Arrays.fill(k, (byte) seed);
    return Files.writeString(dir.resolve(name), Base64.getEncoder().encodeToString(k));
  }

  private static String enqueue(Rebound node, String marker, int until) {
    return await(node.enqueue("work", EnqueueRequest.builder("{\"m\":\"" + marker + "\",\"until\":" + until + "}").build())).item().id();
  }

  private static ItemView awaitStatus(Rebound node, String id, ItemStatus status) throws Exception {
    ItemView v = TestNodes.awaitTerminal(node, List.of(id), Duration.ofSeconds(30)).get(id);
    assertEquals(status, v.status(), v.toString());
    return v;
  }

  @Test
  void payloadsAndErrorsAreEncryptedAtRestAndSurviveKeyRotation() throws Exception {
    String a = key("a.key", 1).toString().replace("\\", "/");
    String b = key("b.key", 2).toString().replace("\\", "/");
    String plainId;
    String idA;

    life = 0;
    try (Rebound node = start("")) {
      plainId = enqueue(node, PLAIN, 1);
      awaitStatus(node, plainId, ItemStatus.DEAD_LETTERED);
      assertTrue(indexedError(node, plainId).contains(PLAIN), "without a key the index keeps the handler's message");
    }

    life = 1;
    try (Rebound node = start("rebound.encryption.key-file = \"" + a + "\"")) {
      // Turning encryption on also clears the messages the index already held.
      assertEquals(Encryption.REDACTED_ERROR, indexedError(node, plainId));
      // Written before encryption was on: it still reads, and runs.
      await(node.redrive(plainId));
      awaitStatus(node, plainId, ItemStatus.SUCCEEDED);
      idA = enqueue(node, SECRET_A, 2);
      ItemView dead = awaitStatus(node, idA, ItemStatus.DEAD_LETTERED);
      // Operators (and the handler) see plaintext: only the journal holds ciphertext.
      assertTrue(dead.payload().contains(SECRET_A), dead.toString());
      assertTrue(dead.lastError().message().contains(SECRET_A), dead.toString());
      assertTrue(await(node.history(idA)).toString().contains(SECRET_A));
      awaitIndexed(node, idA);
    }

    life = 2;
    try (Rebound node = start("rebound.encryption { key-file = \"" + b + "\", old-key-files = [\"" + a + "\"] }")) {
      await(node.redrive(idA));
      ItemView done = awaitStatus(node, idA, ItemStatus.SUCCEEDED);
      assertTrue(done.payload().contains(SECRET_A), done.toString());
      assertTrue(await(node.history(idA)).toString().contains("cannot handle"));
      String idB = enqueue(node, SECRET_B, 0);
      awaitStatus(node, idB, ItemStatus.SUCCEEDED);
      awaitIndexed(node, idB);
    }

    List<Path> files = files(dir.resolve("data"));
    assertFalse(files.isEmpty());
    // The control: without a key, the payload is there in the clear (so the scan can find one).
    assertTrue(anyContains(files, PLAIN), "the unencrypted payload should be in the database file");
    assertFalse(anyContains(files, SECRET_A), "a payload encrypted with key A is in the database in plaintext");
    assertFalse(anyContains(files, SECRET_B), "a payload encrypted with key B is in the database in plaintext");
  }

  /** Waits until the read side has the item's terminal row; answers its last_error. */
  private static String indexedError(Rebound node, String id) throws Exception {
    try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(), "sa", "")) {
      return Awaitility.await("the index shows " + id + " terminal").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .until(() -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT status, last_error FROM rebound_item WHERE id = '" + id + "'")) {
              return rs.next() && ItemStatus.valueOf(rs.getString(1)).isTerminal() ? java.util.Optional.of(String.valueOf(rs.getString(2)))
                  : java.util.Optional.<String>empty();
            }
          }, java.util.Optional::isPresent).orElseThrow();
    }
  }

  /** Waits until the read side has the item's row, and checks its error is not stored in plaintext. */
  private static void awaitIndexed(Rebound node, String id) throws Exception {
    // indexedError answers String.valueOf(last_error): "null" for none.
    String error = indexedError(node, id);
    assertTrue(error.equals("null") || error.equals(Encryption.REDACTED_ERROR), error);
  }

  private static List<Path> files(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return new ArrayList<>(s.filter(Files::isRegularFile).toList());
    }
  }

  private static boolean anyContains(List<Path> files, String marker) throws Exception {
    for (Path f : files) {
      if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(marker)) {
        return true;
      }
    }
    return false;
  }
}
