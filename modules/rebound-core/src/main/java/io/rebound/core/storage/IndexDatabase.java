package io.rebound.core.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The read side's connections: a small pool apart from the journal's (so a burst of queries
 * cannot starve event writes), and the blocking executor its work runs on, never an actor thread.
 */
public final class IndexDatabase implements AutoCloseable {
  private final HikariDataSource pool;
  private final Schema.Dialect dialect;
  private final Executor executor;

  public IndexDatabase(String url, String user, String password, int poolSize, Executor executor) {
    this(url, user, password, poolSize, executor, "rebound-index");
  }

  /** As the read side's, for another of the node's own uses of the database (the outbox relay). */
  public IndexDatabase(String url, String user, String password, int poolSize, Executor executor, String poolName) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setUsername(user);
    c.setPassword(password);
    c.setMaximumPoolSize(poolSize);
    c.setMinimumIdle(1);
    c.setPoolName(poolName);
    this.pool = new HikariDataSource(c);
    this.dialect = Schema.Dialect.of(url);
    this.executor = executor;
  }

  /** A function of one connection, run on the blocking executor. */
  @FunctionalInterface
  public interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  public <T> CompletionStage<T> run(Work<T> work) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = pool.getConnection()) {
        return work.apply(c);
      } catch (SQLException e) {
        throw new IndexException(e);
      }
    }, executor);
  }

  /** A connection of the pool, for a caller's own transaction (the projection's); the caller closes it. */
  public Connection connection() {
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      throw new IndexException(e);
    }
  }

  public Schema.Dialect dialect() {
    return dialect;
  }

  @Override
  public void close() {
    pool.close();
  }

  /** A database error of the index, unchecked so that it can fail a stage. */
  public static final class IndexException extends RuntimeException {
    public IndexException(SQLException cause) {
      super("index database: " + cause.getMessage(), cause);
    }
  }
}
