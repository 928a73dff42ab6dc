package io.rebound.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/** Where a run's database time went: H2's per-statement statistics, read before the node closes. */
final class SqlStats {
  private SqlStats() {}

  /** Prints the statements with the most cumulative execution time, from a database opened with QUERY_STATISTICS. */
  static void print(String url, PrintStream out) {
    String sql = "SELECT SQL_STATEMENT, EXECUTION_COUNT, CUMULATIVE_EXECUTION_TIME, CUMULATIVE_ROW_COUNT"
        + " FROM INFORMATION_SCHEMA.QUERY_STATISTICS ORDER BY CUMULATIVE_EXECUTION_TIME DESC LIMIT 25";
    // The same URL in the same JVM opens the node's own embedded database, so the statistics are its.
    try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      out.println("sql-stats: total ms | count | rows | statement");
      while (rs.next()) {
        String text = rs.getString(1).replaceAll("\\s+", " ");
        out.printf(Locale.ROOT, "sql-stats: %9.0f | %7d | %8d | %s%n", rs.getDouble(3), rs.getLong(2), rs.getLong(4),
            text.length() > 220 ? text.substring(0, 220) + "..." : text);
      }
    } catch (SQLException e) {
      out.println("sql-stats: could not read QUERY_STATISTICS: " + e.getMessage());
    }
  }
}
