package io.rebound.core.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class QueueSettingsTest {

  @Test
  void aNewBuilderHasTheDocumentedDefaults() {
    QueueSettings q = QueueSettings.builder("orders").build();

    assertEquals("orders", q.name());
    assertEquals(8, q.concurrency());
    assertEquals(Duration.ofMinutes(5), q.attemptTimeout());
    assertEquals(Duration.ofSeconds(30), q.parkRetry());
    assertSame(RetryPolicy.defaults(), q.retryPolicy());
  }

  // ---- concurrency ----

  @ParameterizedTest(name = "concurrency {0} is accepted")
  @ValueSource(ints = {1, 8, 10_000})
  void concurrencyFromOneToTenThousandIsAccepted(int value) {
    assertEquals(value, QueueSettings.builder("q").concurrency(value).build().concurrency());
  }

  @ParameterizedTest(name = "concurrency {0} is rejected")
  @ValueSource(ints = {0, -1, 10_001, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void concurrencyOutsideOneToTenThousandIsRejected(int value) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> QueueSettings.builder("q").concurrency(value));
    assertTrue(e.getMessage().contains("concurrency"), e.getMessage());
  }

  // ---- durations ----

  @ParameterizedTest(name = "attempt-timeout {0} is rejected")
  @ValueSource(strings = {"PT0S", "PT-1S", "PT-0.001S", "P7DT0.001S", "P8D"})
  void attemptTimeoutThatIsNotPositiveOrAboveSevenDaysIsRejected(String value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> QueueSettings.builder("q").attemptTimeout(Duration.parse(value)));
    assertTrue(e.getMessage().contains("attempt-timeout"), e.getMessage());
  }

  @Test
  void attemptTimeoutMustBeSet() {
    assertThrows(IllegalArgumentException.class, () -> QueueSettings.builder("q").attemptTimeout(null));
  }

  @ParameterizedTest(name = "attempt-timeout {0} is accepted")
  @ValueSource(strings = {"PT0.001S", "PT5M", "P7D"})
  void attemptTimeoutFromJustAboveZeroToSevenDaysIsAccepted(String value) {
    Duration d = Duration.parse(value);
    assertEquals(d, QueueSettings.builder("q").attemptTimeout(d).build().attemptTimeout());
  }

  @ParameterizedTest(name = "park-retry {0} is rejected")
  @ValueSource(strings = {"PT0S", "PT-1S", "P1DT0.001S", "P2D"})
  void parkRetryThatIsNotPositiveOrAboveOneDayIsRejected(String value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> QueueSettings.builder("q").parkRetry(Duration.parse(value)));
    assertTrue(e.getMessage().contains("park-retry"), e.getMessage());
  }

  @Test
  void parkRetryMustBeSet() {
    assertThrows(IllegalArgumentException.class, () -> QueueSettings.builder("q").parkRetry(null));
  }

  @ParameterizedTest(name = "park-retry {0} is accepted")
  @ValueSource(strings = {"PT0.001S", "PT30S", "P1D"})
  void parkRetryFromJustAboveZeroToOneDayIsAccepted(String value) {
    Duration d = Duration.parse(value);
    assertEquals(d, QueueSettings.builder("q").parkRetry(d).build().parkRetry());
  }

  @Test
  void aRetryPolicyMustBeGiven() {
    assertThrows(NullPointerException.class, () -> QueueSettings.builder("q").retryPolicy(null));
  }

  // ---- names ----

  @ParameterizedTest(name = "name \"{0}\" is allowed")
  @ValueSource(strings = {
    "q", "Q", "7", "orders", "a.b", "a_b", "a-b", "A1.b_2-c", "0-leading-digit", "trailing.", "trailing-",
    "sixty-four-chars-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  })
  void namesOfLettersDigitsDotsUnderscoresAndDashesAreAllowed(String name) {
    assertEquals(name, QueueSettings.builder(name).build().name());
  }

  @Test
  void aNameOfSixtyFourCharactersIsAllowedAndOfSixtyFiveIsNot() {
    String sixtyFour = "a".repeat(64);
    assertDoesNotThrow(() -> QueueSettings.builder(sixtyFour));
    assertThrows(IllegalArgumentException.class, () -> QueueSettings.builder(sixtyFour + "a"));
  }

  @ParameterizedTest(name = "name \"{0}\" is rejected")
  @NullAndEmptySource
  @ValueSource(strings = {
    "bad name!", " q", "q ", "-q", ".q", "_q", "a/b", "a:b", "a\\b", "a*", "qé", "a\nb"
  })
  void namesWithOtherCharactersOrABadFirstCharacterAreRejected(String name) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QueueSettings.builder(name));
    assertTrue(e.getMessage().contains("queue name"), e.getMessage());
  }

  @Test
  void theTestsSixtyFourCharacterNameReallyHasSixtyFourCharacters() {
    assertEquals(64, "sixty-four-chars-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".length());
  }

  // ---- toBuilder ----

  @Test
  void toBuilderRoundTripsEveryField() {
    RetryPolicy policy = RetryPolicy.builder()
        .maxAttempts(3)
        .jitter(RetryPolicy.Jitter.NONE)
        .override(ErrorKind.TIMEOUT, RetryPolicy.builder().maxAttempts(2).build())
        .build();
    QueueSettings original = QueueSettings.builder("payments.eu")
        .concurrency(42)
        .attemptTimeout(Duration.ofSeconds(90))
        .parkRetry(Duration.ofMinutes(3))
        .retryPolicy(policy)
        .build();

    QueueSettings copy = original.toBuilder().build();

    assertEquals(original.name(), copy.name());
    assertEquals(42, copy.concurrency());
    assertEquals(Duration.ofSeconds(90), copy.attemptTimeout());
    assertEquals(Duration.ofMinutes(3), copy.parkRetry());
    assertEquals(policy, copy.retryPolicy());
    assertEquals(original.toString(), copy.toString());
  }

  @Test
  void toBuilderChangesOneFieldAndKeepsTheOthers() {
    QueueSettings original = QueueSettings.builder("q")
        .concurrency(3)
        .attemptTimeout(Duration.ofMinutes(1))
        .build();

    QueueSettings changed = original.toBuilder().concurrency(4).build();

    assertEquals(3, original.concurrency(), "the original is unchanged");
    assertEquals(4, changed.concurrency());
    assertEquals(Duration.ofMinutes(1), changed.attemptTimeout());
    assertEquals(Duration.ofSeconds(30), changed.parkRetry());
    assertEquals("q", changed.name());
  }

  @Test
  void aBuiltValueIsNotChangedByLaterUseOfItsBuilder() {
    QueueSettings.Builder b = QueueSettings.builder("q").concurrency(2);
    QueueSettings first = b.build();

    b.concurrency(5);

    assertEquals(2, first.concurrency());
    assertEquals(5, b.build().concurrency());
  }
}
