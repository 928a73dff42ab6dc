package io.rebound.core.item;

import java.util.ArrayList;
import java.util.List;

/**
 * The tag each item's events carry. Items are spread over a fixed number of slices by their id,
 * and the read side runs one projection per slice, so the index keeps up in parallel. The number
 * of slices is fixed for the life of the data: changing it moves items to other slices.
 */
public final class ItemTags {
  private static final String PREFIX = "item-";

  private ItemTags() {}

  public static String tagFor(String id, int slices) {
    return PREFIX + Math.floorMod(id.hashCode(), slices);
  }

  public static List<String> all(int slices) {
    List<String> tags = new ArrayList<>(slices);
    for (int i = 0; i < slices; i++) {
      tags.add(PREFIX + i);
    }
    return tags;
  }
}
