package io.rebound.core.item;

import io.rebound.api.ErrorKind;
import io.rebound.api.RetryPolicy;
import io.rebound.core.serialization.CborSerializable;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The persisted form of a {@link RetryPolicy}, kept apart from the public class so that the API
 * can change without changing what is in the journal.
 */
public record PolicyData(
    int maxAttempts,
    RetryPolicy.Backoff backoff,
    Duration initial,
    double multiplier,
    Duration maxInterval,
    List<Duration> schedule,
    RetryPolicy.Jitter jitter,
    Map<ErrorKind, PolicyData> overrides)
    implements CborSerializable {

  public static PolicyData of(RetryPolicy p) {
    Map<ErrorKind, PolicyData> o = new EnumMap<>(ErrorKind.class);
    p.overrides().forEach((k, v) -> o.put(k, of(v)));
    return new PolicyData(
        p.maxAttempts(), p.backoff(), p.initial(), p.multiplier(), p.maxInterval(), p.schedule(), p.jitter(), o);
  }

  public RetryPolicy toPolicy() {
    RetryPolicy.Builder b =
        RetryPolicy.builder()
            .maxAttempts(maxAttempts)
            .initial(initial)
            .maxInterval(maxInterval)
            .multiplier(multiplier)
            .jitter(jitter)
            .schedule(schedule)
            .backoff(backoff);
    if (overrides != null) {
      overrides.forEach((k, v) -> b.override(k, v.toPolicy()));
    }
    return b.build();
  }
}
