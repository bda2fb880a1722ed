package io.pilotfish.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.buffer.DiskBuffer;
import io.pilotfish.spi.BatchLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskBufferOptionsTest {

    @TempDir
    Path dir;

    private static MapPluginConfig config(Map<String, String> keys) {
        Map<String, ConfigValue> values = new java.util.TreeMap<>();
        keys.forEach((k, v) -> values.put(k, ConfigValue.of(v)));
        return new MapPluginConfig("datadog-logs", "pilotfish.sinks.datadog-logs.", values);
    }

    @Test
    void offUnlessAPathIsSet() {
        MapPluginConfig config = config(Map.of());
        SinkOptions options = SinkOptions.read(config, BatchLimits.DEFAULT);
        assertFalse(options.diskBuffer().enabled());
        assertEquals(DiskBuffer.DEFAULT_MAX_BYTES, options.diskBuffer().maxBytes());
        assertTrue(config.problems().isEmpty());
    }

    @Test
    void aWritableOrCreatableDirectoryIsTakenWithItsBound() {
        MapPluginConfig config = config(Map.of("disk-buffer.path", dir.resolve("not/yet").toString(),
                "disk-buffer.max-bytes", "1048576"));
        SinkOptions options = SinkOptions.read(config, BatchLimits.DEFAULT);
        assertTrue(config.problems().isEmpty(), config.problems().toString());
        assertEquals(dir.resolve("not/yet"), options.diskBuffer().path().orElseThrow());
        assertEquals(1048576, options.diskBuffer().maxBytes());
        assertFalse(Files.exists(dir.resolve("not")), "validation creates nothing");
    }

    @Test
    void anUnusablePathIsAProblemNamingTheKey() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        for (String path : new String[] {file.toString(), file.resolve("under").toString(), "relative/dir"}) {
            MapPluginConfig config = config(Map.of("disk-buffer.path", path));
            SinkOptions.read(config, BatchLimits.DEFAULT);
            assertEquals(1, config.problems().size(), path + ": " + config.problems());
            ConfigProblem problem = config.problems().get(0);
            assertEquals("pilotfish.sinks.datadog-logs.disk-buffer.path", problem.key());
        }
    }

    @Test
    void aBoundUnderOneMebibyteIsAProblem() {
        MapPluginConfig config = config(Map.of("disk-buffer.path", dir.toString(), "disk-buffer.max-bytes", "1000"));
        SinkOptions.read(config, BatchLimits.DEFAULT);
        assertEquals("pilotfish.sinks.datadog-logs.disk-buffer.max-bytes", config.problems().get(0).key());
    }
}
