package io.rebound.core;

import io.rebound.core.enqueue.EnqueueRequest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.api.RetryPolicy;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnqueueRequestTest {

  private static EnqueueRequest.Builder valid() {
    return EnqueueRequest.builder("{\"order\":42}");
  }

  // ---- payload ----

  @ParameterizedTest(name = "payload {0} is accepted")
  @ValueSource(strings = {"{}", "{\"a\":[1,2,{\"b\":null}]}", "[]", "42", "\"text\"", "null", "true", " {\"a\":1} "})
  void anyValidJsonPayloadIsAccepted(String json) {
    assertEquals(json, EnqueueRequest.builder(json).build().payload());
  }

  @ParameterizedTest(name = "payload {0} is rejected")
  @ValueSource(strings = {"{", "{\"a\":}", "not json", "{'a':1}", "[1,2", "{\"a\":1,}"})
  void anInvalidJsonPayloadIsRejectedNamingThePayload(String json) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EnqueueRequest.builder(json));
    assertTrue(e.getMessage().contains("payload"), e.getMessage());
  }

  @ParameterizedTest(name = "payload \"{0}\" is rejected")
  @ValueSource(strings = {"", "   "})
  void anEmptyPayloadIsNotValidJsonAndIsRejected(String json) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EnqueueRequest.builder(json));
    assertTrue(e.getMessage().contains("payload"), e.getMessage());
  }

  @ParameterizedTest(name = "payload {0} is rejected")
  @ValueSource(strings = {"{\"a\":1} trailing", "{} {}", "1 2", "{\"a\":1}}"})
  void aPayloadWithTrailingContentIsNotValidJsonAndIsRejected(String json) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EnqueueRequest.builder(json));
    assertTrue(e.getMessage().contains("payload"), e.getMessage());
  }

  @Test
  void aNullPayloadIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EnqueueRequest.builder((String) null));
    assertTrue(e.getMessage().contains("payload"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> EnqueueRequest.builder((com.fasterxml.jackson.databind.JsonNode) null));
    assertTrue(e.getMessage().contains("payload"), e.getMessage());
  }

  @Test
  void aJsonTreePayloadIsStoredAsItsText() throws Exception {
    var tree = new ObjectMapper().readTree("{\"a\": 1, \"b\": [true]}");
    assertEquals("{\"a\":1,\"b\":[true]}", EnqueueRequest.builder(tree).build().payload());
  }

  // ---- defaults ----

  @Test
  void aNewRequestHasNoKeyNoDelayNoPolicyAndPriorityFive() {
    EnqueueRequest r = valid().build();

    assertEquals("{\"order\":42}", r.payload());
    assertEquals(Optional.empty(), r.key());
    assertEquals(5, r.priority());
    assertEquals(EnqueueRequest.DEFAULT_PRIORITY, r.priority());
    assertEquals(Duration.ZERO, r.delay());
    assertEquals(Optional.empty(), r.retryPolicy());
    assertEquals(Optional.empty(), r.maxAttempts());
  }

  @Test
  void everySetValueIsKept() {
    RetryPolicy policy = RetryPolicy.builder().maxAttempts(2).build();
    EnqueueRequest r = valid()
        .key("order-42")
        .priority(9)
        .delay(Duration.ofMinutes(10))
        .retryPolicy(policy)
        .maxAttempts(3)
        .build();

    assertEquals(Optional.of("order-42"), r.key());
    assertEquals(9, r.priority());
    assertEquals(Duration.ofMinutes(10), r.delay());
    assertEquals(Optional.of(policy), r.retryPolicy());
    assertEquals(Optional.of(3), r.maxAttempts());
  }

  // ---- priority ----

  @ParameterizedTest(name = "priority {0} is accepted")
  @ValueSource(ints = {0, 1, 5, 9})
  void priorityFromZeroToNineIsAccepted(int p) {
    assertEquals(p, valid().priority(p).build().priority());
  }

  @ParameterizedTest(name = "priority {0} is rejected")
  @ValueSource(ints = {-1, 10, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void priorityOutsideZeroToNineIsRejected(int p) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> valid().priority(p));
    assertTrue(e.getMessage().contains("priority"), e.getMessage());
  }

  // ---- key ----

  @Test
  void aKeyWithNulOrAnotherControlCharacterIsRejectedNamingTheKey() {
    for (String key : new String[] {"a\u0000b", "tab\there", "line\n", "del\u007f", "c1\u0085"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> valid().key(key));
      assertTrue(e.getMessage().startsWith("key must not contain control characters"), e.getMessage());
    }
    assertEquals(Optional.of("ümlaut-ключ-🔑"), valid().key("ümlaut-ключ-🔑").build().key());
  }

  @Test
  void aKeyOfOneToFiveHundredTwelveCharactersIsAccepted() {
    assertEquals(Optional.of("k"), valid().key("k").build().key());
    String longest = "k".repeat(512);
    assertEquals(Optional.of(longest), valid().key(longest).build().key());
  }

  @Test
  void anEmptyKeyIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> valid().key(""));
    assertTrue(e.getMessage().contains("key"), e.getMessage());
  }

  @Test
  void aKeyOfFiveHundredThirteenCharactersIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> valid().key("k".repeat(513)));
    assertTrue(e.getMessage().contains("key"), e.getMessage());
  }

  @Test
  void aNullKeyMeansNoKey() {
    assertEquals(Optional.empty(), valid().key("k").key(null).build().key());
  }

  // ---- delay ----

  @Test
  void aDelayFromZeroToThreeHundredSixtyFiveDaysIsAccepted() {
    assertEquals(Duration.ZERO, valid().delay(Duration.ZERO).build().delay());
    assertEquals(Duration.ofDays(365), valid().delay(Duration.ofDays(365)).build().delay());
  }

  @ParameterizedTest(name = "delay {0} is rejected")
  @ValueSource(strings = {"PT-0.001S", "PT-1H", "P365DT0.001S", "P366D"})
  void aNegativeDelayOrOneOverThreeHundredSixtyFiveDaysIsRejected(String value) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> valid().delay(Duration.parse(value)));
    assertTrue(e.getMessage().contains("delay"), e.getMessage());
  }

  @Test
  void aNullDelayIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> valid().delay(null));
  }

  // ---- maxAttempts ----

  @ParameterizedTest(name = "maxAttempts {0} is rejected")
  @ValueSource(ints = {0, -1, 10_001})
  void maxAttemptsOutsideOneToTheLimitIsRejected(int value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> valid().maxAttempts(value));
    assertTrue(e.getMessage().contains("maxAttempts"), e.getMessage());
  }

  @ParameterizedTest(name = "maxAttempts {0} is accepted")
  @ValueSource(ints = {1, 5, RetryPolicy.MAX_ATTEMPTS_LIMIT})
  void maxAttemptsFromOneToTheLimitIsAccepted(int value) {
    assertEquals(Optional.of(value), valid().maxAttempts(value).build().maxAttempts());
  }
}
