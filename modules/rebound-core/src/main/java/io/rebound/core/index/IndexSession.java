package io.rebound.core.index;

import io.rebound.core.storage.IndexDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/** One transaction of a projection: the index rows and the offset commit together. */
final class IndexSession implements JdbcSession {
  private final Connection connection;

  /** A session on a connection of the index's pool (auto-commit off). */
  static IndexSession open(IndexDatabase db) {
    try {
      return new IndexSession(db.connection());
    } catch (SQLException e) {
      throw new IndexDatabase.IndexException(e);
    }
  }

  IndexSession(Connection connection) throws SQLException {
    this.connection = connection;
    try {
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
  }

  @Override
  public <R> R withConnection(Function<Connection, R> func) throws Exception {
    return func.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
