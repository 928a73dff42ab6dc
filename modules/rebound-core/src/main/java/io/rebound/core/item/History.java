package io.rebound.core.item;

/** Turns the events of an item's journal into the steps its history shows ({@link ItemEvents} says what each means). */
public final class History {
  private History() {}

  public static HistoryEntry entry(long sequenceNr, ItemEntity.Event event) {
    return ItemEvents.meaning(event).entry(sequenceNr);
  }
}
