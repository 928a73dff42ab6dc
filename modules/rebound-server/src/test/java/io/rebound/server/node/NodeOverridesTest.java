package io.rebound.server.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ReboundConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class NodeOverridesTest {
  private static final Config FILE = ConfigFactory.parseString("""
      pekko.remote.artery.canonical.port = 25520
      pekko.management.http.port = 7626
      pekko.cluster.seed-nodes = ["pekko://rebound@10.0.0.1:25520"]
      rebound.http.port = 8080
      """);

  private static Config parse(String... args) {
    StartCommand start = new StartCommand();
    new CommandLine(start).parseArgs(args);
    return start.overrides.over(FILE);
  }

  @Test
  void flagsWinOverTheConfigFile() {
    Config c = parse("--port", "25521", "--http-port", "8081", "--management-port", "7627", "--hostname", "node-b",
        "--seed", "127.0.0.1:25520", "--seed", "127.0.0.1:25521", "--database-url", "jdbc:postgresql://db/rebound");
    assertEquals(25521, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("node-b", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(8081, c.getInt("rebound.http.port"));
    assertEquals(7627, c.getInt("pekko.management.http.port"));
    assertEquals(List.of("pekko://rebound@127.0.0.1:25520", "pekko://rebound@127.0.0.1:25521"), c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("jdbc:postgresql://db/rebound", c.getString("rebound.database.url"));
  }

  @Test
  void withoutFlagsTheConfigFileStands() {
    Config c = parse();
    assertEquals(25520, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(List.of("pekko://rebound@10.0.0.1:25520"), c.getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void aSeedWithoutAPortIsRejectedNamingTheOption() {
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> parse("--seed", "127.0.0.1"));
    assertTrue(e.getMessage().startsWith("--seed"), e.getMessage());
  }

  @Test
  void aPortOutOfRangeIsRejectedNamingTheOption() {
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> parse("--http-port", "70000"));
    assertTrue(e.getMessage().startsWith("--http-port"), e.getMessage());
  }
}
