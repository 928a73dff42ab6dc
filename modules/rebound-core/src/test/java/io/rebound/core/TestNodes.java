package io.rebound.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** Helpers for tests that run a real embedded node on an H2 file. */
public final class TestNodes {
  private TestNodes() {}

  public static Config config(Path dataDir, String queues) {
    return ConfigFactory.parseString("rebound.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"\n" + queues);
  }

  public static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Polls until every item is terminal; returns their final views. */
  public static Map<String, ItemView> awaitTerminal(Rebound node, Collection<String> ids, Duration timeout) {
    List<String> open = new ArrayList<>(ids);
    Map<String, ItemView> done = new java.util.HashMap<>();
    try {
      Awaitility.await("every item terminal").atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200))
          .until(() -> {
            List<CompletableFuture<java.util.Optional<ItemView>>> views = new ArrayList<>();
            for (String id : open) {
              views.add(node.status(id).toCompletableFuture());
            }
            List<String> still = new ArrayList<>();
            for (int i = 0; i < views.size(); i++) {
              ItemView v = views.get(i).join().orElseThrow(() -> new AssertionError("item lost"));
              if (v.status().isTerminal()) {
                done.put(v.id(), v);
              } else {
                still.add(v.id());
              }
            }
            open.retainAll(still);
            return open.isEmpty();
          });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(open.size() + " items not terminal in time, e.g. " + node.status(open.get(0)).toCompletableFuture().join());
    }
    return done;
  }

  public static long count(Map<String, ItemView> views, ItemStatus status) {
    return views.values().stream().filter(v -> v.status() == status).count();
  }

  /** Counts the items' events of one type straight from the journal table (the manifest is the class name). */
  public static int eventsInJournal(Rebound node, String eventClass) throws Exception {
    Config config = node.system().settings().config();
    try (Connection c = DriverManager.getConnection(node.settings().effectiveDatabaseUrl(),
            config.getString("rebound.database.user"), config.getString("rebound.database.password"));
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT COUNT(*) FROM \"event_journal\" WHERE \"event_ser_manifest\" LIKE '%$" + eventClass + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
