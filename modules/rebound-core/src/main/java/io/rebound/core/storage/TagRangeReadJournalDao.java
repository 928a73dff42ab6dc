package io.rebound.core.storage;

import static io.rebound.core.storage.JournalSql.q;

import com.typesafe.config.Config;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Source;
import scala.Tuple3;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The read journal's DAO (pekko-persistence-jdbc's {@code jdbc-read-journal.dao} extension point)
 * with an events-by-tag query that reads only the slice's new events. The plugin's own query puts
 * the offset range on the journal's ordering and the tag on the tag table, and H2 answers it by
 * scanning the whole tag table for every poll of every slice: a read side that slows down with
 * every event ever written. Here the range and the tag are read together from one index: the
 * journal's {@code (rebound_tag, ordering)} for events that carry their tag in the journal row
 * ({@link BatchJournalDao}), and the tag table's {@code (tag, event_id)} ({@link Schema}) for tag
 * rows, merged in ordering.
 */
public final class TagRangeReadJournalDao extends DefaultReadJournalDao {

  private final String byTag;
  private final String lastId;
  private final Serialization serialization;
  /** See {@link #journalSequence}. */
  private volatile CompletableFuture<Long> settled;

  public TagRangeReadJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, ReadJournalConfig config,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    JournalSql sql = new JournalSql(config.eventJournalTableConfiguration(), config.eventTagTableConfiguration());
    // The slice's orderings from both places a tag can be: the journal's own tag column (every
    // event with one tag, as BatchJournalDao writes it) and the tag table (events with several
    // tags, and those of older writers). Each part reads its own index range, in order, limited.
    String o = q(sql.c.ordering());
    String ids = "SELECT u.eid FROM ((SELECT " + o + " AS eid FROM " + sql.journal + " WHERE " + JournalSql.TAG_COLUMN + " = ? AND " + o
        + " > ? AND " + o + " <= ? ORDER BY " + o + " LIMIT ?) UNION ALL (SELECT t." + sql.tagEventId + " AS eid FROM " + sql.tags
        + " t WHERE t." + sql.tagName + " = ? AND t." + sql.tagEventId + " > ? AND t." + sql.tagEventId + " <= ? ORDER BY t."
        + sql.tagEventId + " LIMIT ?)) u ORDER BY u.eid LIMIT ?";
    // The slice's orderings as a derived table joined to the journal: both databases read the
    // indexes once, then look each event up by its ordering. (As "ordering IN (subquery)", H2 ran the
    // subquery again for every row it returned whenever the journal had changed since the last run,
    // which under load is always: a poll of n events read n times n tag rows.)
    this.byTag = "SELECT j." + o + ", " + sql.rowColumns("j") + " FROM (" + ids + ") x JOIN " + sql.journal
        + " j ON j." + o + " = x.eid WHERE j." + q(sql.c.deleted()) + " = FALSE ORDER BY j." + o;
    this.lastId = "SELECT MAX(x.eid) FROM (" + ids + ") x";
  }

  /**
   * The orderings the read journal's sequence actor checks for gaps, from the highest offset any
   * projection has committed on as if none were missing. The actor starts from 0 in every new
   * read journal, takes every ordering it does not find for a write still in flight, and waits
   * {@code max-tries} x {@code query-delay} (10 s) before it gives up on them: on a journal whose
   * old events the retention purged, every start held the index back that long. An offset a
   * projection committed was below the highest ordering its own sequence actor had found complete
   * (or given up on): every ordering up to it was settled then, for good, whichever node reads now.
   */
  @Override
  public Source<Object, NotUsed> journalSequence(long offset, long limit) {
    return org.apache.pekko.stream.javadsl.Source.completionStage(settled())
        .flatMapConcat(settled -> offset < settled
            ? org.apache.pekko.stream.javadsl.Source.from(range(offset + 1, Math.min(settled, offset + limit)))
            : super.journalSequence(offset, limit).asJava())
        .asScala();
  }

  private static List<Object> range(long from, long to) {
    List<Object> ids = new ArrayList<>((int) (to - from + 1));
    for (long id = from; id <= to; id++) {
      ids.add(id);
    }
    return ids;
  }

  /** Read once per read journal; 0 (nothing assumed) without an offset or when it cannot be read. */
  private CompletionStage<Long> settled() {
    CompletableFuture<Long> s = settled;
    if (s == null) {
      s = FutureConverters.asJava(JournalSql.run(db(), ctx -> highestCommittedOffset(ctx.connection()))).toCompletableFuture()
          .exceptionally(e -> 0L);
      settled = s;
    }
    return s;
  }

  private long highestCommittedOffset(java.sql.Connection conn) {
    Config projections = mat().system().settings().config().getConfig("pekko.projection.jdbc.offset-store");
    String schema = projections.getString("schema");
    String table = (schema.isEmpty() ? "" : schema + ".") + projections.getString("table");
    long highest = 0;
    // Sequence offsets ("SEQ") are this read journal's orderings; a projection's other offsets are not.
    try (PreparedStatement ps = conn.prepareStatement("SELECT current_offset FROM " + table + " WHERE manifest = 'SEQ'");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        highest = Math.max(highest, Long.parseLong(rs.getString(1)));
      }
    } catch (SQLException | NumberFormatException e) {
      // No offset table yet (a first start), or an offset that is not an ordering: assume nothing.
      return 0;
    }
    return highest;
  }

  @Override
  public Source<Try<Tuple3<PersistentRepr, Set<String>, Object>>, NotUsed> eventsByTag(String tag, long offset, long maxOffset, long max) {
    Future<List<JournalPekkoSerializationRow>> rows = JournalSql.run(db(), ctx -> read(ctx.connection(), tag, offset, maxOffset, max));
    return org.apache.pekko.stream.javadsl.Source.completionStage(FutureConverters.asJava(rows))
        .mapConcat(list -> list)
        // As the plugin's own DAO: the tags are not read back (nothing downstream uses them).
        .map(row -> PekkoSerialization.fromRow(serialization, row)
            .map(r -> new Tuple3<PersistentRepr, Set<String>, Object>(r._1(), scala.collection.immutable.Set$.MODULE$.<String>empty(), r._2())))
        .asScala();
  }

  private List<JournalPekkoSerializationRow> read(java.sql.Connection conn, String tag, long offset, long maxOffset, long max) {
    long limit = Math.min(max, Integer.MAX_VALUE);
    List<JournalPekkoSerializationRow> out = new ArrayList<>();
    try (PreparedStatement ps = conn.prepareStatement(byTag); PreparedStatement last = conn.prepareStatement(lastId)) {
      long from = offset;
      while (true) {
        bind(ps, tag, from, maxOffset, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(JournalSql.row(rs));
          }
        }
        if (!out.isEmpty()) {
          return out;
        }
        // Every tagged event of this stretch was marked deleted: an empty answer would make the
        // read journal skip to the newest ordering, so go on past them instead.
        bind(last, tag, from, maxOffset, limit);
        try (ResultSet rs = last.executeQuery()) {
          long next = rs.next() ? rs.getLong(1) : 0;
          if (rs.wasNull() || next <= from) {
            return out;
          }
          from = next;
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("reading events tagged " + tag + " after " + offset + ": " + e.getMessage(), e);
    }
  }

  private static void bind(PreparedStatement ps, String tag, long from, long maxOffset, long limit) throws SQLException {
    for (int part = 0; part < 2; part++) {
      ps.setString(4 * part + 1, tag);
      ps.setLong(4 * part + 2, from);
      ps.setLong(4 * part + 3, maxOffset);
      ps.setLong(4 * part + 4, limit);
    }
    ps.setLong(9, limit);
  }


}
