package io.pilotfish.collector.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.core.config.MapPluginConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ForwardFactoryTest {

    private static ForwardConfig configure(MapPluginConfig config) {
        return new ForwardFactory().configure(config);
    }

    @Test
    void theDefaultsAreFireLenss() {
        MapPluginConfig keys = MapPluginConfig.of("fluent-forward", Map.of());
        ForwardConfig c = configure(keys);
        assertEquals(List.of(), keys.problems());
        assertEquals("127.0.0.1", c.bind());
        assertEquals(24224, c.port());
        assertEquals(Optional.of(Path.of("/var/run/fluent.sock")), c.socket());
        assertEquals(Optional.empty(), c.sharedKey());
        assertEquals(6_144_000, c.maxFrameBytes(), "Fluent Bit's in_forward Buffer_Max_Size");
        assertEquals(16L * 1024 * 1024, c.maxBufferedBytes());
        assertEquals(64L * 1024 * 1024, c.maxDecompressedBytes());
        assertEquals(1024 * 1024, c.maxLineBytes());
        assertEquals(256, c.maxConnections());
        assertEquals(Duration.ofSeconds(60), c.idleTimeout());
        assertTrue(c.udpHeartbeat());
    }

    @Test
    void everyKeyIsRead() {
        MapPluginConfig keys = MapPluginConfig.of("fluent-forward", Map.of("port", "24225", "bind", "0.0.0.0",
                "socket", "unix:///tmp/f.sock", "shared-key", "k3y", "max-frame-bytes", "1048576",
                "max-decompressed-bytes", "2097152", "max-line-bytes", "65536", "max-connections", "8",
                "max-buffered-bytes", "4194304", "idle-timeout", "5s"));
        ForwardConfig c = configure(keys);
        assertEquals(List.of(), keys.problems());
        assertEquals(24225, c.port());
        assertEquals("0.0.0.0", c.bind());
        assertEquals(Optional.of(Path.of("/tmp/f.sock")), c.socket());
        assertEquals("k3y", c.sharedKey().orElseThrow().reveal());
        assertFalse(c.toString().contains("k3y"), "the key never shows in the config's text");
        assertEquals(1048576, c.maxFrameBytes());
        assertEquals(2097152, c.maxDecompressedBytes());
        assertEquals(65536, c.maxLineBytes());
        assertEquals(8, c.maxConnections());
        assertEquals(4194304, c.maxBufferedBytes());
        assertEquals(Duration.ofSeconds(5), c.idleTimeout());
    }

    @Test
    void anEmptySocketTurnsItOffAndAnEmptyKeyIsNoKey() {
        ForwardConfig c = configure(MapPluginConfig.of("fluent-forward", Map.of("socket", "", "shared-key", "")));
        assertEquals(Optional.empty(), c.socket());
        assertEquals(Optional.empty(), c.sharedKey());
    }

    @Test
    void badValuesNameTheirKey() {
        MapPluginConfig keys = MapPluginConfig.of("fluent-forward", Map.of("socket", "relative.sock",
                "max-frame-bytes", "8388608", "max-buffered-bytes", "1048576", "idle-timeout", "0s"));
        configure(keys);
        String problems = keys.problems().toString();
        assertTrue(problems.contains("socket"), problems);
        assertTrue(problems.contains("max-buffered-bytes"), problems);
        assertTrue(problems.contains("idle-timeout"), problems);
    }

    @Test
    void theMemoryBoundCoversTheBuffersAndTheDecoders() {
        ForwardConfig c = configure(MapPluginConfig.of("fluent-forward", Map.of()));
        assertEquals(16L * 1024 * 1024 + 2 * 6_144_000L + ForwardFactory.FIXED_MEMORY_BYTES
                + ForwardReceiver.MAX_PENDING_MESSAGE_BYTES,
                new ForwardFactory().memoryBytes(c));
    }
}
