package io.pilotfish.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SinkOptionsTest {

    private static final long MIB = 1024 * 1024;

    @Test
    void aSinkQueueTakesAnEighthOfASmallHeapAndAtMost32MiB() {
        assertEquals(6 * MIB, SinkOptions.defaultQueueBytes(48 * MIB), "the launcher's 48 MiB heap");
        assertEquals(12 * MIB, SinkOptions.defaultQueueBytes(96 * MIB));
        assertEquals(32 * MIB, SinkOptions.defaultQueueBytes(1024 * MIB), "capped on a large heap");
        assertEquals(64 * 1024, SinkOptions.defaultQueueBytes(100 * 1024), "never below the smallest budget allowed");
    }
}
