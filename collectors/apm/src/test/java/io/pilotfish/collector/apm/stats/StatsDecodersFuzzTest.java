package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pilotfish.collector.apm.decode.TraceDecodeException;
import io.pilotfish.spi.trace.ApmStats;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing (Jazzer) of what tracers send to the stats path: {@code /v0.6/stats} bodies, taken through
 * the whole client stats path (decode, prepare, aggregate twice so sketches are decoded and merged, flush), and
 * DDSketch protobuf bytes. A plain {@code mvn test} replays the seeds in {@code StatsDecodersFuzzTestInputs/<method>}.
 *
 * <p>The contract: bad input ends in the decoders' exceptions, never another one, a hang or an OutOfMemoryError; a
 * sketch that decodes re-encodes and counts a finite, non-negative number of values.
 */
class StatsDecodersFuzzTest {

    private final ClientStatsDecoder decoder = new ClientStatsDecoder(16L << 20);

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void clientStats(byte[] body) {
        ApmStats payload;
        try {
            payload = decoder.decode(body, 0, body.length);
        } catch (TraceDecodeException e) {
            assertNotNull(e.reason());
            return;
        }
        ManualClock clock = new ManualClock(1_700_000_000_000_000_000L);
        ClientStatsAggregator aggregator = new ClientStatsAggregator(clock, 8L << 20);
        ApmStats prepared = ClientStats.prepare(payload, "go", "1.0", "cid", List.of(), "none", true);
        aggregator.add(prepared);
        aggregator.add(prepared);
        for (ApmStats out : aggregator.flush(true)) {
            assertTrue(out.clientComputed());
            for (ApmStats.Bucket bucket : out.buckets()) {
                bucket.groups().forEach(g -> assertNotNull(g.okSummary()));
            }
        }
    }

    @FuzzTest(maxDuration = "60s")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void sketch(byte[] bytes) {
        try {
            DDSketch sketch = DDSketch.decodeToAgent(bytes);
            double count = sketch.count();
            assertTrue(count >= 0, "count " + count); // also false for NaN
            assertNotNull(sketch.encode());
            sketch.quantile(0.5);
        } catch (SketchFormatException e) {
            assertNotNull(e.getMessage());
        }
    }
}
