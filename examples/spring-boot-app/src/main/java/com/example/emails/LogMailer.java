package com.example.emails;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** The sample's mail server: logs each email and keeps it, so that the app can show what it sent. */
@Component
public class LogMailer implements Mailer {
  private static final Logger LOG = LoggerFactory.getLogger(LogMailer.class);
  private final List<Email> sent = new CopyOnWriteArrayList<>();

  @Override
  public void send(Email email) {
    LOG.info("Sending '{}' to {}", email.subject(), email.to());
    sent.add(email);
  }

  public List<Email> sent() {
    return List.copyOf(sent);
  }
}
