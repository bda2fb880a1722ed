package io.pilotfish.core.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogRecordCodecTest {

    private static LogRecord roundTrip(LogRecord record) {
        LogRecordCodec.ByteSink out = new LogRecordCodec.ByteSink(16);
        LogRecordCodec.encode(record, out);
        return LogRecordCodec.decode(ByteBuffer.wrap(Arrays.copyOf(out.array(), out.length())));
    }

    private static void assertSame(LogRecord expected, LogRecord actual) {
        assertArrayEquals(expected.message(), actual.message());
        assertEquals(expected.timestamp(), actual.timestamp());
        assertEquals(expected.status(), actual.status());
        assertEquals(expected.service(), actual.service());
        assertEquals(expected.source(), actual.source());
        assertEquals(expected.hostname(), actual.hostname());
        assertEquals(expected.tags(), actual.tags());
        assertEquals(expected.attributes(), actual.attributes());
        // Order and number types survive too, not only equality.
        assertEquals(expected.attributes().toString(), actual.attributes().toString());
    }

    @Test
    void everyFieldAndNestedAttributesComeBack() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1);
        inner.put("a", List.of(true, false, "x", 2.5));
        inner.put("none", null);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("container_name", "/app");
        attributes.put("int", Integer.MIN_VALUE);
        attributes.put("long", Long.MAX_VALUE);
        attributes.put("negative", -42L);
        attributes.put("double", -0.0d);
        attributes.put("nan", Double.NaN);
        attributes.put("float", 1.25f);
        attributes.put("big", new BigInteger("123456789012345678901234567890"));
        attributes.put("decimal", new BigDecimal("1.000000000000000000000001"));
        attributes.put("nested", inner);
        attributes.put("list of maps", List.of(Map.of("k", "v"), List.of(), Map.of()));
        attributes.put("bool", true);
        attributes.put("null", null);
        LogRecord record = new LogRecord("GET /health 200".getBytes(StandardCharsets.UTF_8), 1_700_000_000_123L,
                "info", "web", "nginx", "ip-10-0-0-1", TagSet.of("env:prod", "container_name:app"), attributes);
        LogRecord back = roundTrip(record);
        assertSame(record, back);
        assertEquals(Integer.class, back.attributes().get("int").getClass());
        assertEquals(Long.class, back.attributes().get("negative").getClass());
        assertEquals(Float.class, back.attributes().get("float").getClass());
        assertEquals(BigDecimal.class, back.attributes().get("decimal").getClass());
        assertEquals(List.of("z", "a", "none"), new ArrayList<>(((Map<?, ?>) back.attributes().get("nested"))
                .keySet()));
    }

    @Test
    void unicodeAndBinaryMessagesAndEmptyFields() {
        byte[] message = "héllo wörld — 日本語 🐟 \u0000 tab\t".getBytes(StandardCharsets.UTF_8);
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("", "");
        attributes.put("ключ", "значение 🐟");
        LogRecord record = new LogRecord(message, -5, "", "", "", "", TagSet.of("emoji:🐟", "bare"), attributes);
        assertSame(record, roundTrip(record));

        LogRecord empty = new LogRecord(new byte[0], 0, null, null, null, null, null, null);
        assertSame(empty, roundTrip(empty));
    }

    @Test
    void deepNestingIsBoundedNotAStackOverflow() {
        Object value = "leaf";
        for (int i = 0; i < 500; i++) {
            value = List.of(value);
        }
        LogRecord record = new LogRecord(new byte[] {'x'}, 1, "info", "", "", "", TagSet.EMPTY,
                Map.of("deep", value));
        LogRecord back = roundTrip(record);
        Object at = back.attributes().get("deep");
        int depth = 0;
        while (at instanceof List<?> list) {
            at = list.get(0);
            depth++;
        }
        assertEquals(LogRecordCodec.MAX_DEPTH - 1, depth);
        assertEquals(String.class, at.getClass()); // the deeper part as text
    }

    @Test
    void garbageIsRefusedNotMisread() {
        LogRecordCodec.ByteSink out = new LogRecordCodec.ByteSink(16);
        LogRecordCodec.encode(LogRecord.of("a line", 1, "info", "s", "src", TagSet.of("t:1")), out);
        byte[] bytes = Arrays.copyOf(out.array(), out.length());
        assertThrows(IllegalArgumentException.class,
                () -> LogRecordCodec.decode(ByteBuffer.wrap(Arrays.copyOf(bytes, bytes.length - 1))));
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertThrows(IllegalArgumentException.class, () -> LogRecordCodec.decode(ByteBuffer.wrap(longer)));
        byte[] hugeLength = bytes.clone();
        hugeLength[0] = (byte) 0xFF;
        assertThrows(IllegalArgumentException.class, () -> LogRecordCodec.decode(ByteBuffer.wrap(hugeLength)));
    }
}
