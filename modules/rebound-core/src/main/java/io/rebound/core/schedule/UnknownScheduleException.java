package io.rebound.core.schedule;

/** The schedule is not configured (rebound.schedules). */
public class UnknownScheduleException extends RuntimeException {
  public UnknownScheduleException(String name) {
    super("no schedule named '" + name + "'");
  }
}
