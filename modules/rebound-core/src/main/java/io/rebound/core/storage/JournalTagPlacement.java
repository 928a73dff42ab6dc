package io.rebound.core.storage;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.rebound.core.config.ReboundConfigException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;

/**
 * Whether this node's journal may write an event's one tag in the event's own row
 * ({@link BatchJournalDao}) or must write a tag row, as releases before it did and read.
 *
 * <p>A node of an older release reads a slice only from the tag table: in a rolling upgrade its
 * projection would pass over events tagged in their rows, and commit an offset beyond them, so they
 * would never reach the index. So each node of this release carries the cluster role {@link #ROLE},
 * and writes tags in rows only while every member of its cluster has it; a member without it
 * (joining, up, leaving or unreachable) makes it write tag rows until that member is removed. Until
 * the node is Up (and so has seen the members it joined), it writes tag rows. With {@code
 * rebound.tags-in-journal-rows} off a node leaves the role out, and so keeps every node on tag rows.
 *
 * <p>This covers an upgrade, where the older members are there before any event is tagged in its
 * row. It cannot cover a node of an older release joining later: events already tagged in rows
 * and not yet projected would be passed over by its projection (OPERATIONS says not to).
 */
public final class JournalTagPlacement implements Extension {
  /** The cluster role of a node that reads a slice's tags from journal rows as well as tag rows. */
  public static final String ROLE = "rebound-tag-in-row";

  private static final String KEY = "rebound.tags-in-journal-rows";

  private volatile boolean inRow;
  private final CompletableFuture<Done> decidedUp = new CompletableFuture<>();

  /** True when every member of the cluster reads tags in journal rows. */
  public boolean inRow() {
    return inRow;
  }

  /**
   * Completes once the watcher has decided with this node Up: from then {@link #inRow} follows the
   * membership. A node's start waits for it, so that its first items are tagged as it will go on.
   */
  public CompletionStage<Done> decidedUp() {
    return decidedUp;
  }

  /**
   * The decision: this node has {@link #ROLE} (its setting is on) and is Up, and every member it
   * sees has the role. Up comes after the node has seen the members it joined, and before it takes
   * items; a node leaving writes tag rows again.
   */
  static boolean inRow(Set<String> ownRoles, boolean ownUp, Collection<? extends Set<String>> rolesOfMembers) {
    return ownRoles.contains(ROLE) && ownUp && rolesOfMembers.stream().allMatch(roles -> roles.contains(ROLE));
  }

  /**
   * The node's config with {@link #ROLE} added to {@code pekko.cluster.roles}, to put above it;
   * empty when {@code rebound.tags-in-journal-rows} is off.
   */
  public static Config withRole(Config config) {
    if (!ReboundConfigException.reading(KEY, () -> config.getBoolean(KEY))) {
      return ConfigFactory.empty();
    }
    List<String> roles = new ArrayList<>(config.hasPath("pekko.cluster.roles") ? config.getStringList("pekko.cluster.roles") : List.of());
    if (!roles.contains(ROLE)) {
      roles.add(ROLE);
    }
    return ConfigFactory.empty().withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles));
  }

  /** Keeps the extension of its system up to date with the cluster's membership. */
  public static Behavior<Object> watcher() {
    return Behaviors.setup(ctx -> {
      org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(ctx.getSystem());
      JournalTagPlacement placement = get(classic);
      org.apache.pekko.cluster.Cluster cluster = org.apache.pekko.cluster.Cluster.get(classic);
      Set<String> ownRoles = cluster.getSelfRoles();
      // The current members at once, as one snapshot, then each change.
      cluster.subscribe(Adapter.toClassic(ctx.getSelf()), ClusterEvent.initialStateAsSnapshot(), ClusterEvent.MemberEvent.class);
      Map<UniqueAddress, Member> members = new HashMap<>();
      return Behaviors.receiveMessage(message -> {
        if (message instanceof ClusterEvent.CurrentClusterState state) {
          state.getMembers().forEach(m -> members.put(m.uniqueAddress(), m));
        } else if (message instanceof ClusterEvent.MemberRemoved removed) {
          members.remove(removed.member().uniqueAddress());
        } else if (message instanceof ClusterEvent.MemberEvent event) {
          members.put(event.member().uniqueAddress(), event.member());
        }
        Member own = members.get(cluster.selfUniqueAddress());
        boolean ownUp = own != null && own.status() == MemberStatus.up();
        boolean now = inRow(ownRoles, ownUp, members.values().stream().map(Member::getRoles).toList());
        if (now != placement.inRow && ownRoles.contains(ROLE)) {
          // (Back to tag rows with every member's role: this node is leaving, and writes little more.)
          members.values().stream().filter(m -> !m.getRoles().contains(ROLE)).findFirst().ifPresentOrElse(
              older -> ctx.getLog().info("cluster member {} has no role {} (an older release, or tags-in-journal-rows off):"
                  + " item events get tag rows", older.address(), ROLE),
              () -> {
                if (now) {
                  ctx.getLog().info("every cluster member reads tags in journal rows: item events carry theirs in their rows");
                }
              });
        }
        placement.inRow = now;
        if (ownUp) {
          placement.decidedUp.complete(Done.getInstance());
        }
        return Behaviors.same();
      });
    });
  }

  public static JournalTagPlacement get(ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  /** The extension's id (one placement per actor system). */
  public static final class Id extends AbstractExtensionId<JournalTagPlacement> implements ExtensionIdProvider {
    public static final Id INSTANCE = new Id();

    private Id() {}

    @Override
    public Id lookup() {
      return INSTANCE;
    }

    @Override
    public JournalTagPlacement createExtension(ExtendedActorSystem system) {
      return new JournalTagPlacement();
    }
  }
}
