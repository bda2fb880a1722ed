package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.pilotfish.spi.trace.TraceChunk;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The priority sampler, its feedback loop and the rates body, after the Agent's {@code prioritysampler_test.go}. */
class PrioritySamplerTest {

    private final ManualClock clock = new ManualClock();

    private TraceSampler sampler(double targetTps) {
        return new TraceSampler(SamplingConfig.builder("none").targetTps(targetTps).build(), clock);
    }

    private static TraceChunk trace(long traceId, String service, int priority, Map<String, Double> rootMetrics) {
        return Traces.chunk(priority, Traces.webTrace(traceId, service, 0, rootMetrics));
    }

    @ParameterizedTest(name = "priority {0}: kept={1}, counted={2}")
    @CsvSource({"-1, false, false", "0, false, true", "1, true, true", "2, true, false"})
    void honoursTheTracerAndCountsOnlyAutomaticDecisions(int priority, boolean kept, boolean counted) {
        TraceSampler sampler = sampler(10);
        SamplingOutcome outcome = sampler.sample(trace(42, "web", priority, Map.of()), "prod", 0);
        assertEquals(kept, outcome.kept());
        assertEquals(kept, outcome.chunk() != null);
        assertEquals(counted ? 1 : 0, sampler.prioritySampler().signatures());
    }

    @Test
    void anOldTracersKeptRootGetsTheAgentRate() {
        TraceSampler sampler = sampler(10);
        TraceChunk kept = sampler.sample(trace(42, "web", 1, Map.of()), "prod", 0).chunk();
        assertEquals(1.0, Traces.root(kept).metrics().get("_sampling_priority_rate_v1"));

        TraceChunk withAgentRate = trace(43, "web", 1, Map.of("_dd.agent_psr", 0.5));
        assertSame(withAgentRate, sampler.sample(withAgentRate, "prod", 0).chunk(),
                "a tracer that says which rate it applied is passed on untouched");
        TraceChunk withRuleRate = trace(44, "web", 1, Map.of("_dd.rule_psr", 0.2));
        assertFalse(Traces.root(sampler.sample(withRuleRate, "prod", 0).chunk()).metrics()
                .containsKey("_sampling_priority_rate_v1"));
    }

    @Test
    void theRatesBodyIsTheAgentsJson() {
        TraceSampler sampler = sampler(10);
        // 50 traces/s of web in the agent's env (sent without an env), 2/s of db in prod
        clock.advanceSeconds(5);
        for (int i = 0; i < 250; i++) {
            sampler.sample(trace(i, "web", 0, Map.of()), "", 0);
        }
        for (int i = 0; i < 10; i++) {
            sampler.sample(trace(1000 + i, "db", 0, Map.of()), "prod", 0);
        }
        clock.advanceSeconds(5);
        sampler.sample(trace(5000, "web", 0, Map.of()), "", 0);

        RatesResponse response = sampler.ratesResponse(null);
        // db uses 2/s of the 10; web gets the 8 left of its 50/s, and so do unknown services
        assertEquals("{\"rate_by_service\":{\"service:,env:\":0.16,\"service:db,env:prod\":1,"
                + "\"service:web,env:\":0.16,\"service:web,env:none\":0.16}}", body(response));
        assertNull(response.versionHeader(), "no header for a tracer that sent none");
        assertTrue(sampler.status().ratesVersion().matches(Long.toHexString(ManualClock.EPOCH_SECOND + 10) + "-2"),
                sampler.status().ratesVersion());
    }

    @Test
    void aTracerWithTheCurrentVersionGetsAnEmptyBody() {
        TraceSampler sampler = sampler(10);
        RatesResponse first = sampler.ratesResponse("");
        assertEquals("{\"rate_by_service\":{}}", body(first));
        assertNull(first.versionHeader());
        assertEquals("", sampler.ratesResponse("abc").versionHeader(), "the Agent answers the header even empty");

        sampler.sample(trace(1, "web", 1, Map.of()), "prod", 0);
        String version = sampler.status().ratesVersion();
        assertNotEquals("", version);
        RatesResponse same = sampler.ratesResponse(version);
        assertEquals("{}", body(same));
        assertEquals(version, same.versionHeader());
        RatesResponse stale = sampler.ratesResponse("0-0");
        assertEquals("{\"rate_by_service\":{\"service:,env:\":1}}", body(stale));
        assertEquals(version, stale.versionHeader());
    }

    @Test
    void theVersionOnlyChangesWhenTheRatesDo() {
        TraceSampler sampler = sampler(10);
        sampler.sample(trace(1, "web", 1, Map.of()), "prod", 0);
        String v1 = sampler.status().ratesVersion();
        // steady low traffic: every bucket publishes the same rates
        for (int bucket = 1; bucket <= 3; bucket++) {
            clock.advanceSeconds(5);
            sampler.sample(trace(bucket, "web", 1, Map.of()), "prod", 0);
        }
        String v2 = sampler.status().ratesVersion();
        assertNotEquals(v1, v2, "web gained a rate of its own");
        clock.advanceSeconds(5);
        sampler.sample(trace(9, "web", 1, Map.of()), "prod", 0);
        assertEquals(v2, sampler.status().ratesVersion());
    }

    static Stream<Arguments> feedbackLoop() {
        Stream.Builder<Arguments> cases = Stream.builder();
        double[][] table = {{5, 50, 0.05}, {3, 200, 0.05}, {10, 10, 0.03}, {10, 3, 0.03}, {0.5, 100, 0.1}};
        for (boolean clientDrop : new boolean[] {false, true}) {
            for (double[] row : table) {
                cases.add(Arguments.of(row[0], row[1], row[2], clientDrop));
            }
        }
        return cases.build();
    }

    /**
     * A simulated tracer reads {@code rate_by_service} as tracers do (sending its version, keeping its rates on
     * {@code {}}), decides by the Knuth hash of sequential trace ids, and the kept traffic settles on the target.
     */
    @ParameterizedTest(name = "target {0}/s, traffic {1}/s, client drops P0: {3}")
    @MethodSource("feedbackLoop")
    void theFeedbackLoopConvergesOnTheTarget(double targetTps, double generatedTps, double relativeError,
                                             boolean clientDrop) {
        TraceSampler sampler = sampler(targetTps);
        TracerSimulation tracer = new TracerSimulation(sampler, "svc");
        int warmUp = 2;
        int periods = 10;
        long kept = 0;
        long handled = 0;
        long traceId = 0;
        for (int period = 0; period < warmUp + periods; period++) {
            clock.advanceSeconds(5);
            int droppedByClient = 0;
            for (int i = 0; i < (int) (generatedTps * 5); i++) {
                double rate = tracer.rate();
                int priority = TraceIdSampling.keep(++traceId, rate) ? 1 : 0;
                boolean sampled = false;
                if (!clientDrop || priority == 1) {
                    TraceChunk chunk = trace(traceId, "svc", priority, Map.of("_dd.agent_psr", rate));
                    sampled = sampler.sample(chunk, "", droppedByClient).kept();
                    droppedByClient = 0;
                } else {
                    droppedByClient++;
                }
                if (period < warmUp) {
                    continue;
                }
                if (!clientDrop) {
                    double expectedRate = Math.min(1, targetTps / generatedTps);
                    assertEquals(expectedRate, rate, 1e-7 * expectedRate, "rate applied by the tracer");
                }
                handled++;
                if (sampled) {
                    kept++;
                }
            }
        }
        double expectedTps = Math.min(targetTps, generatedTps);
        assertEquals(expectedTps / generatedTps, (double) kept / handled, relativeError * expectedTps / generatedTps);
        assertEquals(expectedTps, kept / (periods * 5.0), relativeError * expectedTps);
    }

    @Test
    void theCatalogIsBoundedAndTheWindowFollowsIt() {
        TraceSampler sampler = new TraceSampler(SamplingConfig.builder("none").maxCatalogEntries(100).build(), clock);
        for (int i = 0; i < 1_000; i++) {
            if (i % 50 == 0) {
                clock.advanceSeconds(5);
            }
            sampler.sample(trace(i, "service-" + i, 0, Map.of()), "prod", 0);
        }
        assertTrue(sampler.prioritySampler().catalogSize() <= 100);
        assertTrue(sampler.prioritySampler().signatures() <= 100,
                "window holds " + sampler.prioritySampler().signatures());
        assertTrue(sampler.status().prioritySignatures() <= 100);
    }

    @Test
    void droppedP0sTheTracerReportsCountTowardsTheRate() {
        TraceSampler sampler = sampler(10);
        clock.advanceSeconds(5);
        // 10 kept chunks that stand for 100 traces each: 1000 traces in 5 s is 200/s
        for (int i = 0; i < 10; i++) {
            sampler.sample(trace(i, "svc", 1, Map.of("_dd.agent_psr", 1.0)), "prod", 99);
        }
        clock.advanceSeconds(5);
        sampler.sample(trace(99, "svc", 1, Map.of("_dd.agent_psr", 1.0)), "prod", 0);
        assertEquals(10.0 / 200, sampler.prioritySampler().signatureRate("svc", "prod"), 1e-9);
    }

    private static String body(RatesResponse response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** A tracer's view of the rates, refreshed the way tracers refresh them. */
    static final class TracerSimulation {
        private final TraceSampler agent;
        private final String service;
        private String version = "";
        private Map<String, Double> rates = Map.of();

        TracerSimulation(TraceSampler agent, String service) {
            this.agent = agent;
            this.service = service;
        }

        double rate() {
            RatesResponse response = agent.ratesResponse(version);
            String body = new String(response.body(), StandardCharsets.UTF_8);
            if (!body.equals("{}")) {
                rates = parse(body);
            }
            version = response.versionHeader() == null ? "" : response.versionHeader();
            Double rate = rates.get("service:" + service + ",env:");
            if (rate == null) {
                rate = rates.getOrDefault("service:,env:", 1.0);
            }
            return rate;
        }

        private static Map<String, Double> parse(String body) {
            Map<String, Double> out = new HashMap<>();
            try (JsonParser p = new JsonFactory().createParser(body)) {
                assertEquals(JsonToken.START_OBJECT, p.nextToken());
                assertEquals("rate_by_service", p.nextFieldName());
                assertEquals(JsonToken.START_OBJECT, p.nextToken());
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    out.put(key, p.getDoubleValue());
                }
            } catch (IOException e) {
                throw new AssertionError(body, e);
            }
            return out;
        }
    }

    @Test
    void tracerDecisionsStandWhateverTheTarget() {
        TraceSampler sampler = sampler(0);
        assertTrue(sampler.sample(trace(1, "web", 2, Map.of()), "prod", 0).kept());
        assertFalse(sampler.sample(trace(2, "web", -1, Map.of()), "prod", 0).kept());
        assertTrue(sampler.sample(trace(3, "web", 1, Map.of()), "prod", 0).kept(),
                "an auto keep is honoured even at target 0; the target acts through the rates");
        assertEquals(0.0, Traces.root(sampler.sample(trace(4, "web", 1, Map.of()), "prod", 0).chunk()).metrics()
                .get("_sampling_priority_rate_v1"));
    }
}
