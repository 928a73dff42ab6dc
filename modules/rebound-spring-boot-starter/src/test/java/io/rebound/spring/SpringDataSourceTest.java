package io.rebound.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class SpringDataSourceTest {
  private static final String PG = "jdbc:postgresql://db.example:5432/app";

  @Test
  void the_apps_postgresql_becomes_rebounds_database() {
    Config c = SpringDataSource.apply(ConfigFactory.empty(), PG, "app", "secret");

    assertThat(c.getString("rebound.database.url")).isEqualTo(PG);
    assertThat(c.getString("rebound.database.user")).isEqualTo("app");
    assertThat(c.getString("rebound.database.password")).isEqualTo("secret");
  }

  @Test
  void an_explicit_rebound_database_url_wins_over_the_apps() {
    Config own = ConfigFactory.parseString("rebound.database.url = \"jdbc:postgresql://other/rebound\"");

    assertThat(SpringDataSource.apply(own, PG, "app", "secret").getString("rebound.database.url"))
        .isEqualTo("jdbc:postgresql://other/rebound");
  }

  @Test
  void an_apps_h2_database_is_left_alone_so_rebound_keeps_its_own_file() {
    Config c = SpringDataSource.apply(ConfigFactory.empty(), "jdbc:h2:mem:testdb", "sa", "");

    assertThat(c.hasPath("rebound.database.url")).isFalse();
  }

  @Test
  void the_node_leaves_stopping_to_the_context_unless_a_property_says_otherwise() {
    org.springframework.core.env.StandardEnvironment env = new org.springframework.core.env.StandardEnvironment();
    Config c = ReboundAutoConfiguration.config(env, java.util.Map.of(), null);
    assertThat(c.getBoolean("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook")).isFalse();

    env.getPropertySources().addFirst(new org.springframework.core.env.MapPropertySource("app",
        java.util.Map.of("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "on")));
    assertThat(ReboundAutoConfiguration.config(env, java.util.Map.of(), null)
        .getBoolean("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook")).isTrue();
  }
}
