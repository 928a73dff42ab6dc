package com.example.emails;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A web app that sends its emails through a Rebound queue: POST /signups enqueues a welcome email. */
@SpringBootApplication
public class EmailsApplication {
  public static void main(String[] args) {
    SpringApplication.run(EmailsApplication.class, args);
  }
}
