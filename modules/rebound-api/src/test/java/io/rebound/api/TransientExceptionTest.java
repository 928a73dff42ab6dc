package io.rebound.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TransientExceptionTest {

  @Test
  void messageOnlyConstructorHasNoCauseAndNoRetryAfter() {
    TransientException e = new TransientException("busy");
    assertEquals("busy", e.getMessage());
    assertNull(e.getCause());
    assertEquals(Optional.empty(), e.retryAfter());
  }

  @Test
  void causeConstructorKeepsTheCauseAndHasNoRetryAfter() {
    IOException cause = new IOException("connection reset");
    TransientException e = new TransientException("busy", cause);
    assertSame(cause, e.getCause());
    assertEquals(Optional.empty(), e.retryAfter());
  }

  @Test
  void retryAfterIsExposedWhenGiven() {
    TransientException e = new TransientException("429", null, Duration.ofSeconds(30));
    assertEquals(Optional.of(Duration.ofSeconds(30)), e.retryAfter());
  }

  @Test
  void nullRetryAfterMeansThePolicysDelay() {
    assertEquals(Optional.empty(), new TransientException("x", null, null).retryAfter());
  }

  @Test
  void zeroRetryAfterIsAllowed() {
    assertEquals(Optional.of(Duration.ZERO), new TransientException("x", null, Duration.ZERO).retryAfter());
  }

  @Test
  void rejectsNegativeRetryAfter() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TransientException("x", null, Duration.ofMillis(-1)));
    assertTrue(e.getMessage().contains("retryAfter"), e.getMessage());
  }

  @Test
  void isAnUncheckedException() {
    assertTrue(RuntimeException.class.isAssignableFrom(TransientException.class));
  }
}
