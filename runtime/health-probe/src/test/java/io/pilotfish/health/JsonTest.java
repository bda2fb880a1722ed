package io.pilotfish.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsEveryKindOfValue() throws Exception {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("s", "a\"b\\c/d\b\f\n\r\t\u00e9\uD83D\uDC1F");
        expected.put("n", -12.5e2);
        expected.put("z", 0.0);
        expected.put("list", new ArrayList<>(Arrays.asList(true, false, null, List.of())));
        expected.put("empty", Map.of());
        assertEquals(expected, Json.parse(" {\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00E9\\ud83d\\udc1f\", "
                + "\"n\" : -12.5E+2,\"z\":0,\n\"list\":[true,false,null,[]],\"empty\":{}} "));
    }

    @Test
    void theAgentsHealthAnswerReadsBackAsWritten() throws Exception {
        String odd = "sink out: HTTP 400 {\"errors\":[\"bad\\tpayload\"]}\nsecond line \u0001 \uD83D\uDC1F";
        assertEquals(Map.of("status", HealthAnswer.UNHEALTHY, "problems", List.of(odd, "two")),
                Json.parse(HealthAnswer.json(HealthAnswer.UNHEALTHY, List.of(odd, "two"))));
        assertEquals("{\"status\":\"ok\"}", HealthAnswer.json(HealthAnswer.OK, List.of()));
    }

    @Test
    void refusesWhatIsNotJson() {
        for (String text : List.of("", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "[1 2]", "01", "1.", "-", "1e",
                "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "\"open", "tru", "nul", "{a:1}", "{} {}", "'x'")) {
            Json.MalformedJsonException e = assertThrows(Json.MalformedJsonException.class, () -> Json.parse(text),
                    text);
            assertTrue(e.getMessage().startsWith("not valid JSON: ") && e.getMessage().contains(" at offset "),
                    e.getMessage());
        }
    }

    @Test
    void refusesNestingDeeperThanTheLimitInsteadOfOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        Json.MalformedJsonException e = assertThrows(Json.MalformedJsonException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nested deeper than " + Json.MAX_DEPTH), e.getMessage());
    }
}
