package io.rebound.core.enqueue;

import io.rebound.core.item.ItemView;

/** @param created false when the key already existed and this is the existing item */
public record EnqueueResult(ItemView item, boolean created) {}
