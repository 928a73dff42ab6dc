package io.rebound.core.schedule;

/** A trigger's item could not be enqueued (the node was overloaded, the database down): try again. */
public class ScheduleTriggerException extends RuntimeException {
  public ScheduleTriggerException(String schedule, String reason) {
    super("the item of schedule '" + schedule + "' could not be enqueued: " + reason);
  }
}
