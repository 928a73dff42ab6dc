package io.rebound.core.schedule;

import io.rebound.core.serialization.CborSerializable;
import java.time.Instant;

/**
 * A schedule as the runner sees it now.
 *
 * @param nextTick the next tick that will make an item; null while paused or when the cron has no more
 * @param lastTick the last tick that made an item; null before the first
 * @param lastItemId the item the last tick or trigger made; null before the first
 */
public record ScheduleView(String name, String cron, String zone, String queue, int priority, String missed, boolean paused,
    Instant nextTick, Instant lastTick, String lastItemId) implements CborSerializable {}
