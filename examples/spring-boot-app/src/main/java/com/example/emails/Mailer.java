package com.example.emails;

/** Sends one email; throws when the mail server cannot take it now. In a real app: JavaMailSender. */
public interface Mailer {
  record Email(String to, String subject, String body) {}

  void send(Email email) throws Exception;
}
