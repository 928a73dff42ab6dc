package io.rebound.core;

/** No item has this id. */
public class ItemNotFoundException extends RuntimeException {
  public ItemNotFoundException(String id) {
    super("no item with id '" + id + "'");
  }
}
