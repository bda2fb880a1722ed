package io.pilotfish.spi.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagMapTest {

    private static Map<String, String> built(String... keysAndValues) {
        TagMap.Builder<String> builder = TagMap.builder(keysAndValues.length / 2);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            builder.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return builder.build();
    }

    @Test
    void behavesAsTheHashMapOfTheSameEntries() {
        Map<String, String> tags = built("env", "prod", "component", "tomcat", "span.kind", "server");
        Map<String, String> expected = new HashMap<>(Map.of("env", "prod", "component", "tomcat", "span.kind",
                "server"));

        assertEquals(expected, tags);
        assertEquals(tags, expected);
        assertEquals(expected.hashCode(), tags.hashCode());
        assertEquals("tomcat", tags.get("component"));
        assertEquals("tomcat", tags.get(new String("component"))); // equal, not the same instance
        assertTrue(tags.containsKey("span.kind"));
        assertNull(tags.get("http.method"));
        assertFalse(tags.containsKey("http.method"));
        assertNull(tags.get(42));
        assertEquals("none", tags.getOrDefault("missing", "none"));
        assertEquals(3, tags.size());
    }

    @Test
    void keepsTheOrderEntriesWerePutInAndTheLastValueOfAKeyPutTwice() {
        Map<String, String> tags = built("b", "1", "a", "2", "b", "3");

        assertEquals(List.of("b", "a"), new ArrayList<>(tags.keySet()));
        assertEquals("3", tags.get("b"));
        List<String> seen = new ArrayList<>();
        tags.forEach((k, v) -> seen.add(k + "=" + v));
        assertEquals(List.of("b=3", "a=2"), seen);
        TagMap<String> map = assertInstanceOf(TagMap.class, tags);
        assertEquals("a", map.keyAt(1));
        assertEquals("2", map.valueAt(1));
        assertThrows(IndexOutOfBoundsException.class, () -> map.keyAt(2));
    }

    @Test
    void findsEveryKeyAmongKeysWhoseHashesCollide() {
        // "Aa" and "BB" share String.hashCode, so they share the presence bit and the hash compare too.
        Map<String, String> tags = built("Aa", "x", "BB", "y", "AaAa", "z", "BBBB", "w");

        assertEquals("x", tags.get("Aa"));
        assertEquals("y", tags.get("BB"));
        assertEquals("z", tags.get("AaAa"));
        assertEquals("w", tags.get("BBBB"));
        assertNull(tags.get("AaBB"));
    }

    @Test
    void isImmutableAndRefusesANullKeyButKeepsANullValue() {
        Map<String, String> tags = built("k", "v");

        assertThrows(UnsupportedOperationException.class, () -> tags.put("x", "y"));
        assertThrows(UnsupportedOperationException.class, () -> tags.remove("k"));
        assertThrows(UnsupportedOperationException.class, () -> tags.entrySet().iterator().next().setValue("z"));
        assertThrows(NullPointerException.class, () -> TagMap.builder(1).put(null, "v"));
        Map<String, String> withNull = built("k", null);
        assertTrue(withNull.containsKey("k"));
        assertNull(withNull.get("k"));
    }

    @Test
    void aMapOfManyEntriesIsHashedAndStillExact() {
        TagMap.Builder<Integer> builder = TagMap.builder(10_000);
        Map<String, Integer> expected = new LinkedHashMap<>();
        for (int i = 0; i < 1_000; i++) {
            builder.put("key-" + (i % 700), i);
            expected.put("key-" + (i % 700), i);
        }
        Map<String, Integer> many = builder.build();

        assertFalse(many instanceof TagMap, "over " + TagMap.MAX_ENTRIES + " entries the map is hashed");
        assertEquals(expected, many);
        assertThrows(UnsupportedOperationException.class, () -> many.put("x", 1));
    }

    @Test
    void anEmptyBuilderGivesAnEmptyMapAndWithAddsOrReplacesOneEntry() {
        assertEquals(Map.of(), TagMap.<String>builder(0).build());
        Map<String, Double> metrics = TagMap.<Double>builder(1).put("a", 1.0).build();

        assertEquals(Map.of("a", 1.0, "_top_level", 1.0), TagMap.with(metrics, "_top_level", 1.0));
        assertEquals(Map.of("a", 2.0), TagMap.with(metrics, "a", 2.0));
        assertEquals(Map.of("a", 1.0), metrics, "the original is unchanged");
    }

    @Test
    void aSpanKeepsATagMapAsItIsAndWrapsAnyOtherMap() {
        Map<String, String> tags = built("env", "prod");
        Span span = Span.of("s", "n", "r", 1, 1, 0, 0, 1, 0, tags, new HashMap<>(Map.of("m", 1.0)), "web");

        assertTrue(span.meta() == tags, "not wrapped again");
        assertThrows(UnsupportedOperationException.class, () -> span.metrics().put("x", 2.0));
    }
}
