package com.example.emails;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.core.enqueue.EnqueueRequest;
import io.rebound.core.enqueue.EnqueueResult;
import io.rebound.core.Rebound;
import io.rebound.core.item.ItemView;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Signs a user up and enqueues their welcome email; shows an email's status. */
@RestController
public class SignupController {
  public record Signup(String email) {}

  public record Queued(String id, String status, boolean created) {}

  private final Rebound rebound;
  private final ObjectMapper json;

  public SignupController(Rebound rebound, ObjectMapper json) {
    this.rebound = rebound;
    this.json = json;
  }

  /** The key makes a repeated signup return the same email instead of sending a second one. */
  @PostMapping("/signups")
  public CompletionStage<ResponseEntity<Queued>> signup(@RequestBody Signup signup) throws Exception {
    String payload = json.writeValueAsString(Map.of(
        "to", signup.email(), "subject", "Welcome!", "body", "Thanks for signing up, " + signup.email() + "."));
    return rebound.enqueue("emails", EnqueueRequest.builder(payload).key("welcome-" + signup.email()).build())
        .thenApply((EnqueueResult r) -> ResponseEntity.status(HttpStatus.ACCEPTED)
            .body(new Queued(r.item().id(), r.item().status().name(), r.created())));
  }

  @GetMapping("/emails/{id}")
  public CompletionStage<ResponseEntity<ItemView>> email(@PathVariable("id") String id) {
    return rebound.status(id).thenApply(item -> item.map(ResponseEntity::ok).orElseGet(() -> ResponseEntity.notFound().build()));
  }
}
