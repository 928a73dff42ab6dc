package io.rebound.core.config;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * One tool: how to probe it and how fast to release the items parked on it.
 *
 * @param probe the {@code probe} block ({@code type = http | tcp | java | simulated} and its keys)
 * @param releaseRate items per second released when the tool comes back
 * @param breakerMaxFailures transient failures in a row, on queues that need the tool, that open its breaker
 */
public record ToolSettings(
    String name, Config probe, Duration interval, Duration timeout, int releaseRate, int breakerMaxFailures) {}
