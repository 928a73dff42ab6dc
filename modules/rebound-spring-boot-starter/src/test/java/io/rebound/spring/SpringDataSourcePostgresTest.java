package io.rebound.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rebound.api.JobHandler;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class SpringDataSourcePostgresTest {
  private static final Duration WAIT = Duration.ofSeconds(60); // a bound on failure only: the machine may be loaded

  @TempDir
  Path dir;

  @Configuration(proxyBeanMethods = false)
  static class Handler {
    @Bean
    @ReboundHandler("emails")
    JobHandler emails() {
      return ctx -> CompletableFuture.completedFuture(null);
    }
  }

  @Test
  void rebound_keeps_its_items_in_the_apps_postgresql_database() throws Exception {
    try (PostgresDatabase db = PostgresDatabase.create()) {
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, ReboundAutoConfiguration.class,
              ReboundHealthAutoConfiguration.class))
          .withUserConfiguration(Handler.class)
          .withPropertyValues("spring.datasource.url=" + db.url(), "spring.datasource.username=" + PostgresDatabase.USER,
              "spring.datasource.password=", "rebound.data-dir=" + dir, "pekko.loglevel=WARNING")
          .run(context -> {
            assertThat(context).hasNotFailed();
            Rebound rebound = context.getBean(Rebound.class);
            assertThat(rebound.settings().effectiveDatabaseUrl()).isEqualTo(db.url());

            String id = rebound.enqueue("emails", EnqueueRequest.builder("{}").build()).toCompletableFuture().join().item().id();
            await().atMost(WAIT).until(() -> rebound.status(id).toCompletableFuture().join().map(ItemView::status).orElse(null),
                ItemStatus.SUCCEEDED::equals);
            // The app's own DataSource reads the item's row: one database.
            DataSource app = context.getBean(DataSource.class);
            await().atMost(WAIT).until(() -> {
              try (Connection c = app.getConnection();
                  ResultSet r = c.createStatement().executeQuery("SELECT status FROM rebound_item WHERE id = '" + id + "'")) {
                return r.next() ? r.getString(1) : null;
              }
            }, "SUCCEEDED"::equals);
            assertThat(context.getBean(ReboundHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
          });
    }
  }
}
