package io.rebound.core.index;

import io.rebound.core.config.ReboundConfigException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Settings the stored data depends on, recorded in {@code rebound_meta} (one row per name) at the
 * first start: {@code tag-slices} decides which tag each item's events carry, and so which
 * projection slice reads them; changed on existing data, items would be read by the wrong slice
 * or by none. A start with another value is refused.
 */
public final class IndexMeta {
  static final String TAG_SLICES = "tag-slices";

  private IndexMeta() {}

  static final String DDL = """
      CREATE TABLE IF NOT EXISTS rebound_meta (
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        val VARCHAR(255) NOT NULL
      )""";

  /**
   * Records {@code tagSlices} when this database has no value yet, else checks it is the same.
   * Run under the schema lock, so that nodes starting together agree.
   *
   * @throws ReboundConfigException naming rebound.index.tag-slices and both values, when they differ
   */
  public static void checkTagSlices(Connection c, int tagSlices) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(DDL);
    }
    String recorded = get(c, TAG_SLICES);
    if (recorded == null) {
      try (PreparedStatement st = c.prepareStatement("INSERT INTO rebound_meta (name, val) VALUES (?, ?)")) {
        st.setString(1, TAG_SLICES);
        st.setString(2, Integer.toString(tagSlices));
        st.executeUpdate();
      }
    } else if (!recorded.equals(Integer.toString(tagSlices))) {
      throw new ReboundConfigException("rebound.index.tag-slices", "is " + tagSlices + " but this database's items were written with "
          + recorded + " (recorded in rebound_meta); it cannot change on existing data: set it back to " + recorded);
    }
  }

  private static String get(Connection c, String name) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT val FROM rebound_meta WHERE name = ?")) {
      st.setString(1, name);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
