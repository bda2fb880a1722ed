package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pilotfish.collector.apm.normalize.TopLevel;
import io.pilotfish.spi.trace.ApmStats;
import io.pilotfish.spi.trace.Span;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The concentrator against the Agent's: concentrator-input.txt was fed to the Agent's own concentrator (pkg/trace/stats
 * v0.85.4) and concentrator-expected.txt is what it flushed, group by group with the sketches' bytes. The spans cover
 * top-level, measured, span-kind and partial spans, weights, errors, HTTP status codes from metrics, meta and the OTel
 * key, gRPC codes by name and number, peer tags with IP addresses, base services, synthetics, buckets past, present
 * and to come, and durations from 1 ns to an hour.
 */
class ConcentratorGoldenTest {

    private static final long HOUR = 3_600_000_000_000L;

    @Test
    void flushesWhatTheAgentFlushes() {
        List<String> input = Golden.lines("concentrator-input.txt");
        long now = Long.parseLong(input.getFirst().split("\\|")[1]);
        ManualClock clock = new ManualClock(now);
        Concentrator concentrator = new Concentrator(StatsConfig.defaults("none", "agent-host"), clock,
                new SplittableRandom(1));
        clock.set(now + 2 * HOUR); // the Agent added them long after `now`: nothing lies in its future

        List<Chunk> chunks = parse(input, now);
        for (Chunk chunk : chunks) {
            List<Span> spans = TopLevel.compute(chunk.spans);
            concentrator.add(chunk.source, spans, chunk.origin, Concentrator.root(spans));
        }
        List<String> actual = new ArrayList<>();
        for (ApmStats payload : concentrator.flush(true)) {
            String head = String.join("|", "payload", payload.env(), payload.hostname(), payload.version(),
                    payload.lang(), payload.containerId(), payload.gitCommitSha(), payload.imageTag(),
                    payload.service(), String.join(";", payload.tags()));
            for (ApmStats.Bucket bucket : payload.buckets()) {
                for (ApmStats.Group g : bucket.groups()) {
                    actual.add(String.join("|", head, "bucket", Long.toUnsignedString(bucket.start() - now),
                            Long.toUnsignedString(bucket.duration()), "group", g.service(), g.name(), g.resource(),
                            g.type(), g.spanKind(), Integer.toUnsignedString(g.httpStatusCode()),
                            Boolean.toString(g.synthetics()), Integer.toString(g.isTraceRoot()), g.grpcStatusCode(),
                            g.httpMethod(), g.httpEndpoint(), g.dbType(), String.join(";", g.peerTags()),
                            Long.toUnsignedString(g.hits()), Long.toUnsignedString(g.errors()),
                            Long.toUnsignedString(g.duration()), Long.toUnsignedString(g.topLevelHits()),
                            HexFormat.of().formatHex(g.okSummary()), HexFormat.of().formatHex(g.errorSummary())));
                }
            }
        }
        actual.sort(null);
        List<String> expected = Golden.lines("concentrator-expected.txt");
        assertEquals(String.join("\n", expected), String.join("\n", actual));
        assertEquals(0, concentrator.counters().heapBytes(), "everything flushed gives its heap back");
    }

    private record Chunk(StatsSource source, String origin, List<Span> spans) {
    }

    private static List<Chunk> parse(List<String> lines, long now) {
        List<Chunk> chunks = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split("\\|", -1);
            switch (f[0]) {
                case "chunk" -> chunks.add(new Chunk(new StatsSource(f[1], f[2], f[3], f[4], f[5],
                        f[6].isEmpty() ? List.of() : Arrays.asList(f[6].split(";")), f[7], f[8]), f[9],
                        new ArrayList<>()));
                case "span" -> {
                    Map<String, String> meta = pairs(f[10]);
                    Map<String, Double> metrics = new HashMap<>();
                    pairs(f[11]).forEach((k, v) -> metrics.put(k, Double.parseDouble(v)));
                    chunks.getLast().spans.add(Span.of(f[1], f[2], f[3], 1, Long.parseLong(f[5]),
                            Long.parseLong(f[6]), now + Long.parseLong(f[7]), Long.parseLong(f[8]),
                            Integer.parseInt(f[9]), meta, metrics, f[4]));
                }
                default -> {
                }
            }
        }
        return chunks;
    }

    private static Map<String, String> pairs(String s) {
        Map<String, String> out = new HashMap<>();
        if (!s.isEmpty()) {
            for (String pair : s.split(";")) {
                int eq = pair.indexOf('=');
                out.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return out;
    }
}
