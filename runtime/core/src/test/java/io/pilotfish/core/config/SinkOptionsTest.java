package io.pilotfish.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pilotfish.spi.BatchLimits;
import java.util.List;
import java.util.Map;
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

    @Test
    void exportsInFlightIsTheSinkTypesUnlessSetAndIsBounded() {
        MapPluginConfig unset = MapPluginConfig.of("logs", Map.of());
        assertEquals(1, SinkOptions.read(unset, BatchLimits.DEFAULT).exportsInFlight(), "in order by default");
        assertEquals(2, SinkOptions.read(unset, BatchLimits.DEFAULT, 2).exportsInFlight(), "the sink type's default");

        MapPluginConfig set = MapPluginConfig.of("logs", Map.of("exports-in-flight", "4"));
        assertEquals(4, SinkOptions.read(set, BatchLimits.DEFAULT).exportsInFlight());
        assertEquals(List.of(), set.problems());

        MapPluginConfig tooMany = MapPluginConfig.of("logs", Map.of("exports-in-flight", "17"));
        assertEquals(1, SinkOptions.read(tooMany, BatchLimits.DEFAULT).exportsInFlight(), "the default stands in");
        assertEquals(1, tooMany.problems().size(), tooMany.problems().toString());
        assertEquals("pilotfish.plugins.logs.exports-in-flight", tooMany.problems().get(0).key());
    }
}
