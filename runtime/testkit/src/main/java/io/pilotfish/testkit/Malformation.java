package io.pilotfish.testkit;

/** How {@link EcsMetadataSimulator#malformedNext} spoils a 200 response. */
public enum Malformation {
    /** The first half of the real body: JSON that ends mid-document. */
    TRUNCATED,
    /** An HTML error page, as a misbehaving proxy would send. */
    NOT_JSON,
    /** A zero-length body. */
    EMPTY,
    /** Valid JSON of the wrong shape: an array where an object is expected. */
    WRONG_SHAPE
}
