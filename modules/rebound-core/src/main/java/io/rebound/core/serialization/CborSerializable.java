package io.rebound.core.serialization;

/** Marker for messages, events and state that Pekko serializes with Jackson CBOR (see reference.conf). */
public interface CborSerializable {}
