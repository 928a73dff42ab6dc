package com.example.emails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class EmailsApplicationTest {
  private static final Duration WAIT = Duration.ofSeconds(60); // a bound on failure only: the machine may be loaded

  /** Each run on a database of its own. */
  @DynamicPropertySource
  static void dataDir(DynamicPropertyRegistry registry) throws Exception {
    String dir = Files.createTempDirectory("rebound-example").toString();
    registry.add("rebound.data-dir", () -> dir);
  }

  @Autowired
  TestRestTemplate http;

  @Autowired
  LogMailer mailer;

  @Test
  void a_signup_sends_its_welcome_email_through_the_queue_and_health_shows_rebound_up() {
    ResponseEntity<JsonNode> queued = http.postForEntity("/signups", new SignupController.Signup("ada@example.com"), JsonNode.class);
    assertThat(queued.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
    String id = queued.getBody().path("id").asText();

    await().atMost(WAIT).until(() -> http.getForObject("/emails/" + id, JsonNode.class).path("status").asText(), "SUCCEEDED"::equals);
    assertThat(mailer.sent()).extracting(Mailer.Email::to).contains("ada@example.com");

    JsonNode health = http.getForObject("/actuator/health", JsonNode.class);
    assertThat(health.path("status").asText()).isEqualTo("UP");
    assertThat(health.path("components").path("rebound").path("status").asText()).isEqualTo("UP");
    assertThat(health.path("components").path("rebound").path("details").path("queues").toString()).contains("emails");

    // Rebound's meters are in the app's registry, so Actuator shows them.
    await().atMost(WAIT).untilAsserted(() -> assertThat(
        http.getForObject("/actuator/metrics/rebound.items?tag=queue:emails&tag=outcome:succeeded", JsonNode.class)
            .path("measurements").path(0).path("value").asDouble()).isGreaterThanOrEqualTo(1.0));
  }

  @Test
  void an_address_that_can_never_be_sent_is_dead_lettered_at_once() {
    String id = http.postForEntity("/signups", new SignupController.Signup("not-an-address"), JsonNode.class).getBody().path("id").asText();

    await().atMost(WAIT).until(() -> http.getForObject("/emails/" + id, JsonNode.class), item -> item.path("status").asText().equals("DEAD_LETTERED"));
    JsonNode item = http.getForObject("/emails/" + id, JsonNode.class);
    assertThat(item.path("attempts").asInt()).isEqualTo(1);
    assertThat(item.path("lastError").path("kind").asText()).isEqualTo("PERMANENT");
  }
}
