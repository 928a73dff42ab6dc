package io.rebound.core.item;

import java.time.Instant;
import java.util.Map;

/**
 * One step of an item's life, read back from its journal.
 *
 * @param type the event, e.g. {@code enqueued}, {@code attempt-started}, {@code attempt-failed}
 * @param attempt the attempt it concerns, or null for steps that are not about an attempt
 * @param details the rest of the event (error kind, message, stack trace, next attempt time...)
 */
public record HistoryEntry(long sequenceNr, String type, Instant at, Integer attempt, Map<String, Object> details) {}
