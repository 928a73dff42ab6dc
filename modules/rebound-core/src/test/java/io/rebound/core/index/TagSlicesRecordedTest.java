package io.rebound.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.core.Rebound;
import io.rebound.core.TestNodes;
import io.rebound.core.config.ReboundConfigException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tag-slices is recorded with the data at the first start; another value is refused at start. */
class TagSlicesRecordedTest {
  @TempDir Path dir;

  @Test
  void the_first_start_records_tag_slices_and_the_same_value_starts_again() throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:h2:mem:meta-" + System.nanoTime())) {
      IndexMeta.checkTagSlices(c, 4);
      IndexMeta.checkTagSlices(c, 4);
      ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> IndexMeta.checkTagSlices(c, 8));
      assertEquals("rebound.index.tag-slices", e.key());
    }
  }

  @Test
  void a_node_started_with_another_tag_slices_on_existing_data_is_refused_with_one_line_naming_both_values() {
    Rebound.migrate(TestNodes.config(dir, "rebound.index.tag-slices = 4"));
    ReboundConfigException e = assertThrows(ReboundConfigException.class,
        () -> Rebound.start(TestNodes.config(dir, "rebound.index.tag-slices = 8\nrebound.queues.q.handler.type = simulated")));
    assertEquals("rebound.index.tag-slices", e.key());
    assertTrue(e.getMessage().startsWith("rebound.index.tag-slices: is 8 but this database's items were written with 4"), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line");
    // The recorded value still starts (migrate stands in for a node: same check, no cluster).
    Rebound.migrate(TestNodes.config(dir, "rebound.index.tag-slices = 4"));
  }
}
