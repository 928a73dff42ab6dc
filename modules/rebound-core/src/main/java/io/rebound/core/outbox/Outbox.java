package io.rebound.core.outbox;

import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.tracing.Traceparent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/**
 * Enqueues in the caller's own transaction: a row of {@code rebound_outbox} written with the
 * caller's connection, which a node's relay turns into an item once the transaction commits (and
 * never, if it rolls back). Any language can insert the same row with plain SQL (docs/OUTBOX.md).
 *
 * <pre>{@code
 * try (Connection c = dataSource.getConnection()) {
 *   c.setAutoCommit(false);
 *   insertOrder(c, order);
 *   Outbox.enqueue(c, "emails", EnqueueRequest.builder(json).key("order-" + order.id()).build());
 *   c.commit();
 * }
 * }</pre>
 */
public final class Outbox {
  private Outbox() {}

  /**
   * Writes the row with {@code connection}, in whatever transaction it is in; neither commits nor
   * closes it. The item's delay counts from now (the row's {@code created_at}).
   *
   * @return the row's id
   * @throws IllegalArgumentException when the request carries a retry policy of its own (the
   *     outbox carries max attempts only) or the queue is blank
   * @throws SQLException from the insert (a missing table: start a node or run {@code rebound migrate} first)
   */
  public static long enqueue(Connection connection, String queue, EnqueueRequest request) throws SQLException {
    if (queue == null || queue.isBlank()) {
      throw new IllegalArgumentException("queue must be set");
    }
    if (request.retryPolicy().isPresent()) {
      throw new IllegalArgumentException("an outbox row carries max attempts, not a retry policy: set the policy on the queue");
    }
    try (PreparedStatement st = connection.prepareStatement(
        "INSERT INTO rebound_outbox (queue, payload, item_key, priority, delay_ms, max_attempts, traceparent, item_group)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        new String[] {"id"})) {
      st.setString(1, queue);
      st.setString(2, request.payload());
      st.setString(3, request.key().orElse(null));
      st.setInt(4, request.priority());
      st.setLong(5, request.delay().toMillis());
      if (request.maxAttempts().isPresent()) {
        st.setInt(6, request.maxAttempts().get());
      } else {
        st.setNull(6, Types.INTEGER);
      }
      // The caller's span, if an OpenTelemetry SDK traces it: the item's attempts join its trace.
      st.setString(7, Traceparent.current());
      st.setString(8, request.group().orElse(null));
      st.executeUpdate();
      try (ResultSet keys = st.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new SQLException("the database returned no id for the outbox row");
        }
        return keys.getLong(1);
      }
    }
  }
}
