package io.rebound.core.replay;

/** The answer of a what-if replay: what was asked and what the items would have done. */
public record ReplayReport(ReplayRequest request, ReplaySummary summary) {}
