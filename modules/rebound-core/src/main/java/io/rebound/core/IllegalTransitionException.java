package io.rebound.core;

import io.rebound.core.item.ItemView;

/** The item's status does not allow the action (cancel a succeeded item, redrive a pending one...). */
public class IllegalTransitionException extends RuntimeException {
  private final transient ItemView item;

  public IllegalTransitionException(ItemView item, String action) {
    super("cannot " + action + " item " + item.id() + ": it is " + item.status());
    this.item = item;
  }

  public ItemView item() {
    return item;
  }
}
