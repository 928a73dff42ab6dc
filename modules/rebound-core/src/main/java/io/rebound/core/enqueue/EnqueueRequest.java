package io.rebound.core.enqueue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.api.RetryPolicy;
import java.time.Duration;
import java.util.Optional;

/**
 * One item to enqueue: an immutable value built with {@link #builder(String)}, every setter
 * validating. Defaults: no key (a new item every time), priority 5, no delay, the queue's policy.
 */
public final class EnqueueRequest {
  public static final int MAX_KEY_LENGTH = 512;
  public static final int MAX_GROUP_LENGTH = 255;
  public static final int DEFAULT_PRIORITY = 5;
  // Trailing tokens ("{} {}") would otherwise be dropped silently.
  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final String payload;
  private final String key;
  private final int priority;
  private final Duration delay;
  private final RetryPolicy retryPolicy;
  private final Integer maxAttempts;
  private final String group;

  private EnqueueRequest(Builder b) {
    group = b.group;
    payload = b.payload;
    key = b.key;
    priority = b.priority;
    delay = b.delay;
    retryPolicy = b.retryPolicy;
    maxAttempts = b.maxAttempts;
  }

  /** @param payloadJson the payload as JSON text; it is checked to be valid JSON */
  public static Builder builder(String payloadJson) {
    return new Builder(payloadJson);
  }

  public static Builder builder(JsonNode payload) {
    if (payload == null) {
      throw new IllegalArgumentException("payload must be set");
    }
    return new Builder(payload.toString());
  }

  public String payload() {
    return payload;
  }

  public Optional<String> key() {
    return Optional.ofNullable(key);
  }

  public int priority() {
    return priority;
  }

  public Duration delay() {
    return delay;
  }

  public Optional<RetryPolicy> retryPolicy() {
    return Optional.ofNullable(retryPolicy);
  }

  public Optional<Integer> maxAttempts() {
    return Optional.ofNullable(maxAttempts);
  }

  /** The item's group (tenant), which its queue's group limits and fair order apply to. */
  public Optional<String> group() {
    return Optional.ofNullable(group);
  }

  public static final class Builder {
    private final String payload;
    private String group;
    private String key;
    private int priority = DEFAULT_PRIORITY;
    private Duration delay = Duration.ZERO;
    private RetryPolicy retryPolicy;
    private Integer maxAttempts;

    private Builder(String payloadJson) {
      if (payloadJson == null) {
        throw new IllegalArgumentException("payload must be set");
      }
      JsonNode tree;
      try {
        tree = JSON.readTree(payloadJson);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("payload is not valid JSON: " + e.getOriginalMessage());
      }
      if (tree == null || tree.isMissingNode()) {
        throw new IllegalArgumentException("payload is not valid JSON: it is empty");
      }
      this.payload = payloadJson;
    }

    /**
     * The dedup key: enqueueing an existing key of the queue returns the existing item. 1-512
     * chars, no control characters (U+0000-U+001F, U+007F-U+009F).
     */
    public Builder key(String value) {
      if (value != null && (value.isEmpty() || value.length() > MAX_KEY_LENGTH)) {
        throw new IllegalArgumentException("key must be 1 to " + MAX_KEY_LENGTH + " characters, was " + value.length());
      }
      noControlCharacters("key", value);
      key = value;
      return this;
    }

    /**
     * The item's group, a tenant such as a customer id: the queue's {@code group-concurrency} and
     * {@code group-rate-limit} count per group, and permits go round-robin across groups. 1-255
     * chars, no control characters. Default none (the items without a group form one group).
     */
    public Builder group(String value) {
      if (value != null && (value.isEmpty() || value.length() > MAX_GROUP_LENGTH)) {
        throw new IllegalArgumentException("group must be 1 to " + MAX_GROUP_LENGTH + " characters, was " + value.length());
      }
      noControlCharacters("group", value);
      group = value;
      return this;
    }

    private static void noControlCharacters(String field, String value) {
      if (value != null) {
        for (int i = 0; i < value.length(); i++) {
          if (Character.isISOControl(value.charAt(i))) {
            // NUL and its kin break databases, logs and terminals: refused at the door.
            throw new IllegalArgumentException(String.format("%s must not contain control characters, found U+%04X at index %d",
                field, (int) value.charAt(i), i));
          }
        }
      }
    }

    /** 0 to 9, higher runs first. Default 5. */
    public Builder priority(int value) {
      if (value < 0 || value > 9) {
        throw new IllegalArgumentException("priority must be between 0 and 9, was " + value);
      }
      priority = value;
      return this;
    }

    /** Wait this long before the first attempt; 0 to 365 days. Default 0. */
    public Builder delay(Duration value) {
      if (value == null || value.isNegative() || value.compareTo(io.rebound.api.RetryPolicy.MAX_DELAY) > 0) {
        throw new IllegalArgumentException("delay must be between 0 and 365 days, was " + value);
      }
      delay = value;
      return this;
    }

    /** This item's own retry policy instead of its queue's. Default: the queue's. */
    public Builder retryPolicy(RetryPolicy value) {
      retryPolicy = value;
      return this;
    }

    /** The queue's (or this item's) policy with another maxAttempts. */
    public Builder maxAttempts(int value) {
      if (value < 1 || value > RetryPolicy.MAX_ATTEMPTS_LIMIT) {
        throw new IllegalArgumentException("maxAttempts must be between 1 and " + RetryPolicy.MAX_ATTEMPTS_LIMIT + ", was " + value);
      }
      maxAttempts = value;
      return this;
    }

    public EnqueueRequest build() {
      return new EnqueueRequest(this);
    }
  }
}
