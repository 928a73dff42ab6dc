package io.rebound.spring;

import io.rebound.core.Rebound;
import io.rebound.core.index.ProjectionHealth;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ClusterShardingHealthCheck;
import org.apache.pekko.cluster.typed.Cluster;
import com.typesafe.config.Config;

/**
 * Whether an embedded node is ready, checked as a node's {@code /ready} is (rebound-server's
 * readiness checks): its actor system runs and it is an Up member, the items' sharding registered
 * with its coordinator, the journal's database answers, and no slice of the index projection keeps
 * failing.
 */
public final class ReboundReadiness {
  private static final String DB = "pekko-persistence-jdbc.shared-databases.rebound.db.";

  /** What one check found; {@code error} says why a check failed, null when all passed. */
  public record Report(String member, boolean sharding, boolean journal, List<ProjectionHealth.Failing> failingIndexSlices, String error) {
    public boolean ready() {
      return error == null;
    }
  }

  private final Rebound rebound;
  private final ClusterShardingHealthCheck sharding;
  private final Duration timeout;

  public ReboundReadiness(Rebound rebound, Duration timeout) {
    this.rebound = rebound;
    this.sharding = new ClusterShardingHealthCheck(Adapter.toClassic(rebound.system()));
    this.timeout = timeout;
  }

  /** Runs the checks on the calling thread (JDBC blocks): for Actuator's health endpoint. */
  public Report check() {
    if (rebound.system().whenTerminated().isCompleted()) {
      return new Report("removed", false, false, List.of(), "the node has shut down");
    }
    MemberStatus status = Cluster.get(rebound.system()).selfMember().status();
    String member = status.toString().toLowerCase(java.util.Locale.ROOT);
    boolean shardingOk = shardingRegistered();
    String journalError = journal();
    List<ProjectionHealth.Failing> failing = ProjectionHealth.get(rebound.system()).failing();
    String error = null;
    if (status != MemberStatus.up()) {
      error = "the node is not an Up member of its cluster (" + member + ")";
    } else if (!shardingOk) {
      error = "the items' sharding has not registered with its coordinator";
    } else if (journalError != null) {
      error = "the journal's database does not answer: " + journalError;
    } else if (!failing.isEmpty()) {
      error = "index slice " + failing.get(0).slice() + " failed " + failing.get(0).failures() + " times in a row: " + failing.get(0).lastError();
    }
    return new Report(member, shardingOk, journalError == null, failing, error);
  }

  private boolean shardingRegistered() {
    try {
      Object ok = scala.jdk.javaapi.FutureConverters.asJava(sharding.apply()).toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return Boolean.TRUE.equals(ok);
    } catch (Exception e) {
      return false;
    }
  }

  /** Null when a connection to the journal's database is valid, else why not. */
  private String journal() {
    Config c = rebound.system().settings().config();
    try (Connection conn = DriverManager.getConnection(c.getString(DB + "url"), c.getString(DB + "user"), c.getString(DB + "password"))) {
      return conn.isValid((int) Math.max(1, timeout.toSeconds())) ? null : "the connection is not valid";
    } catch (SQLException e) {
      return e.getMessage();
    }
  }
}
