package io.rebound.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rebound.api.JobContext;
import io.rebound.api.JobHandler;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.Rebound;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.item.ItemStatus;
import io.rebound.core.item.ItemTransition;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import io.rebound.core.item.ItemView;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class ReboundAutoConfigurationTest {
  private static final Duration WAIT = Duration.ofSeconds(60); // a bound on failure only: the machine may be loaded

  @TempDir
  Path dir;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ReboundAutoConfiguration.class, ReboundHealthAutoConfiguration.class))
        .withPropertyValues("rebound.data-dir=" + dir, "rebound.shutdown-timeout=10s", "pekko.loglevel=WARNING");
  }

  /** A handler on a @Bean method, its queue configured in properties. */
  @Configuration(proxyBeanMethods = false)
  static class Handlers {
    @Bean
    @ReboundHandler("emails")
    JobHandler emailHandler() {
      return ctx -> CompletableFuture.completedFuture(null);
    }

    @Bean
    SimpleMeterRegistry appRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  /** A handler annotated on its class, its queue in no property: it runs with the queue defaults. */
  @ReboundHandler("reports")
  static class ReportHandler implements JobHandler {
    @Override
    public CompletionStage<Void> handle(JobContext context) {
      return CompletableFuture.completedFuture(null);
    }
  }

  @Test
  void handler_beans_run_items_with_the_properties_as_config_while_health_and_meters_reach_the_app() {
    AtomicReference<MeterRegistry> registry = new AtomicReference<>();
    runner()
        .withUserConfiguration(Handlers.class)
        .withBean(ReportHandler.class)
        .withPropertyValues("rebound.queues.emails.concurrency=2", "rebound.queues.emails.retry.maxAttempts=3")
        .run(context -> {
          assertThat(context).hasNotFailed();
          Rebound rebound = context.getBean(Rebound.class);
          registry.set(context.getBean(MeterRegistry.class));
          assertThat(rebound.queues()).containsOnlyKeys("emails", "reports");
          assertThat(rebound.queues().get("emails").concurrency()).isEqualTo(2);
          assertThat(rebound.queues().get("emails").retryPolicy().maxAttempts()).isEqualTo(3);

          String email = enqueue(rebound, "emails");
          String report = enqueue(rebound, "reports");
          await().atMost(WAIT).until(() -> status(rebound, email) == ItemStatus.SUCCEEDED && status(rebound, report) == ItemStatus.SUCCEEDED);

          await().atMost(WAIT).untilAsserted(() -> assertThat(
              registry.get().get("rebound.items").tags("queue", "emails", "outcome", "succeeded").counter().count()).isEqualTo(1.0));
          await().atMost(WAIT).untilAsserted(() -> {
            var health = context.getBean(ReboundHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("journal", "answers").containsEntry("member", "up");
          });

          // The app's registry is the app's: the node's shutdown leaves it open (the context closes it).
          rebound.close();
          assertThat(registry.get().isClosed()).isFalse();
          assertThat(context.getBean(ReboundHealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
        });
  }

  @Test
  void a_wrong_key_fails_the_start_with_a_message_naming_it() {
    runner()
        .withUserConfiguration(Handlers.class)
        .withPropertyValues("rebound.queues.emails.retry.max-atempts=3")
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).rootCause()
              .isInstanceOf(ReboundConfigException.class)
              .hasMessageContaining("rebound.queues.emails.retry.max-atempts")
              .hasMessageContaining("did you mean max-attempts?");
        });
  }

  @Test
  void a_bean_annotated_as_handler_that_is_no_job_handler_fails_the_start_naming_it() {
    runner()
        .withBean("notAHandler", NotAHandler.class)
        .run(context -> assertThat(context.getStartupFailure()).rootCause()
            .hasMessageContaining("bean 'notAHandler' is annotated @ReboundHandler(\"emails\") but is not a io.rebound.api.JobHandler"));
  }

  @ReboundHandler("emails")
  static class NotAHandler {}

  /** Blocks its attempt until released. */
  @ReboundHandler("slow")
  static final class Gate implements JobHandler {
    final CountDownLatch started = new CountDownLatch(1);
    final CompletableFuture<Void> release = new CompletableFuture<>();

    @Override
    public CompletionStage<Void> handle(JobContext context) {
      started.countDown();
      return release;
    }
  }

  @Test
  void closing_the_context_lets_a_running_attempt_finish_before_the_node_stops() {
    Gate gate = new Gate();
    runner()
        .withBean("gate", Gate.class, () -> gate, d -> {})
        .withPropertyValues("rebound.queues.slow.concurrency=1")
        .run(context -> {
          Rebound rebound = context.getBean(Rebound.class);
          List<ItemTransition> transitions = new CopyOnWriteArrayList<>();
          rebound.onTransition(transitions::add);
          String id = enqueue(rebound, "slow");
          assertThat(gate.started.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

          Thread closing = new Thread(context::close, "closing-context");
          closing.start();
          // Shutting down, with the attempt still running: the drain waits for it.
          await().atMost(WAIT).until(() -> CoordinatedShutdown.get(Adapter.toClassic(rebound.system())).getShutdownReason().isPresent());
          assertThat(closing.isAlive()).isTrue();
          gate.release.complete(null);
          closing.join(Duration.ofSeconds(60).toMillis());
          assertThat(closing.isAlive()).isFalse();
          assertThat(rebound.system().whenTerminated().isCompleted()).isTrue();
          // Persisted before the node stopped (an attempt cut off would be ORPHANED on the next start).
          assertThat(transitions).anyMatch(t -> t.id().equals(id) && t.status() == ItemStatus.SUCCEEDED);
        });
  }

  private static String enqueue(Rebound rebound, String queue) {
    return rebound.enqueue(queue, EnqueueRequest.builder("{\"to\":\"a@example.com\"}").build()).toCompletableFuture().join().item().id();
  }

  private static ItemStatus status(Rebound rebound, String id) {
    return rebound.status(id).toCompletableFuture().join().map(ItemView::status).orElse(null);
  }
}
