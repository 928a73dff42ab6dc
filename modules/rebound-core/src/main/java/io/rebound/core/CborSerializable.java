package io.rebound.core;

/** Marker for messages, events and state that Pekko serializes with Jackson CBOR (see reference.conf). */
public interface CborSerializable {}
