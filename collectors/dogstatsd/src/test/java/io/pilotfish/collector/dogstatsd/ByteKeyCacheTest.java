package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteKeyCacheTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void findsAValueByAByteRangeInsideALargerBuffer() {
        ByteKeyCache<String> cache = new ByteKeyCache<>(16, 1 << 20);
        byte[] first = bytes("xxapp.requestsyy");
        cache.put(first, 2, 14, "app.requests", 8);

        byte[] packet = bytes("app.requests:1|c");
        assertEquals("app.requests", cache.get(packet, 0, 12));
        assertNull(cache.get(packet, 0, 11), "a prefix is another key");
        assertNull(cache.get(packet, 0, 0), "the empty range is not stored");
    }

    @Test
    void theKeyIsCopiedSoReusingTheBufferDoesNotChangeIt() {
        ByteKeyCache<String> cache = new ByteKeyCache<>(16, 1 << 20);
        byte[] buffer = bytes("alpha");
        cache.put(buffer, 0, 5, "alpha", 8);
        System.arraycopy(bytes("omega"), 0, buffer, 0, 5);

        assertNull(cache.get(buffer, 0, 5));
        assertEquals("alpha", cache.get(bytes("alpha"), 0, 5));
    }

    @Test
    void keepsManyKeysApartAndReplacesTheValueOfAnExistingKey() {
        ByteKeyCache<Integer> cache = new ByteKeyCache<>(1000, 1 << 20);
        for (int i = 0; i < 1000; i++) {
            byte[] key = bytes("metric." + i);
            cache.put(key, 0, key.length, i, 8);
        }
        for (int i = 0; i < 1000; i++) {
            byte[] key = bytes("metric." + i);
            assertEquals(i, cache.get(key, 0, key.length));
        }
        byte[] key = bytes("metric.7");
        cache.put(key, 0, key.length, -7, 8);
        assertEquals(-7, cache.get(key, 0, key.length));
        assertEquals(1000, cache.size());
    }

    @Test
    void startsAfreshWhenFullSoUnboundedKeysCannotGrowMemory() {
        ByteKeyCache<String> cache = new ByteKeyCache<>(4, 1 << 20);
        for (int i = 0; i < 4; i++) {
            byte[] key = bytes("k" + i);
            cache.put(key, 0, key.length, "v" + i, 8);
        }
        byte[] fifth = bytes("k4");
        cache.put(fifth, 0, fifth.length, "v4", 8);

        assertEquals(1, cache.size());
        assertNull(cache.get(bytes("k0"), 0, 2));
        String value = cache.get(fifth, 0, 2);
        assertSame("v4", value);
    }
}
