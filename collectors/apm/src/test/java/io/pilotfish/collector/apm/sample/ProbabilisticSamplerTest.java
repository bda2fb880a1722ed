package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.pilotfish.spi.trace.TraceChunk;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Agent's {@code probabilistic_test.go} table. */
class ProbabilisticSamplerTest {

    /** The 16 bytes 1..16: high half 0x0102030405060708, low half 0x090a0b0c0d0e0f10. */
    private static final String FULL_ID = "0102030405060708090a0b0c0d0e0f10";
    private static final long LOW = 0x090a0b0c0d0e0f10L;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "keep-otel,       true,  41, 555,  otel,   true",
            "drop-otel,       true,  40, 555,  otel,   false",
            "keep-dd,         true,  41, LOW,  tid,    true",
            "drop-dd,         true,  40, 555,  tid,    false",
            "keep-dd-64-full, true,  40, 555,  none,   true",
            "drop-dd-64-full, true,  40, 556,  none,   false",
            "keep-dd-128,     false, 70, LOW,  tid,    true",
            "drop-dd-128,     false, 68, 555,  tid,    false"})
    void keepsByTraceIdHash(String name, boolean fullTraceId, float percent, String traceId, String tags,
                            boolean keep) {
        Map<String, String> meta = new HashMap<>();
        if (tags.equals("otel")) {
            meta.put("otel.trace_id", FULL_ID);
        } else if (tags.equals("tid")) {
            meta.put("_dd.p.tid", FULL_ID.substring(0, 16));
        }
        long id = traceId.equals("LOW") ? LOW : Long.parseLong(traceId);
        ChunkDraft chunk = new ChunkDraft(Traces.chunk(TraceChunk.PRIORITY_NONE,
                List.of(Traces.span(id, 1, 0, "s", "op", "r", 0, meta, Map.of()))));
        ProbabilisticSampler sampler = new ProbabilisticSampler(percent, 0, fullTraceId);
        assertEquals(keep, sampler.sample(chunk));
        if (keep) {
            assertEquals((double) percent / 100, chunk.metric(0, "_dd.prob_sr"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"otel.trace_id, 0102zz", "otel.trace_id, 010", "_dd.p.tid, +1", "_dd.p.tid, 10000000000000000"})
    void anUnreadable128BitIdIsNotKept(String key, String value) {
        ChunkDraft chunk = new ChunkDraft(Traces.chunk(TraceChunk.PRIORITY_NONE,
                List.of(Traces.span(555, 1, 0, "s", "op", "r", 0, Map.of(key, value), Map.of()))));
        assertFalse(new ProbabilisticSampler(100, 0, true).sample(chunk));
    }
}
