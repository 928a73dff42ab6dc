package com.example.emails;

import com.fasterxml.jackson.databind.JsonNode;
import io.rebound.api.JobContext;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.api.TransientException;
import io.rebound.spring.ReboundHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.springframework.stereotype.Component;

/**
 * The handler of queue {@code emails}: a payload {@code {"to": ..., "subject": ..., "body": ...}}.
 * An address without {@code @} can never be sent (dead-lettered at once); a mail server that
 * fails is tried again with the queue's backoff.
 */
@Component
@ReboundHandler("emails")
public class EmailHandler implements JobHandler {
  private final Mailer mailer;

  public EmailHandler(Mailer mailer) {
    this.mailer = mailer;
  }

  @Override
  public CompletionStage<Void> handle(JobContext context) {
    JsonNode p = context.payload();
    String to = p.path("to").asText("");
    if (!to.contains("@")) {
      throw new PermanentException("not an email address: '" + to + "'");
    }
    try {
      mailer.send(new Mailer.Email(to, p.path("subject").asText(""), p.path("body").asText("")));
    } catch (Exception e) {
      throw new TransientException("the mail server did not take it: " + e.getMessage(), e);
    }
    return CompletableFuture.completedFuture(null);
  }
}
