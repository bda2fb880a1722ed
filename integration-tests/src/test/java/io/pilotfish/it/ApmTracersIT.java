package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.sink.datadog.traces.AgentPayloadReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Datadog's own tracers (dd-java-agent from Maven Central, dd-trace from npm, ddtrace from PyPI, dd-trace-go from the
 * Go module proxy) against the packaged agent, over TCP and the Unix socket, exactly as an app container reaches the
 * Datadog Agent sidecar: each sends 20 web traces (5 errors) with a SQL child span, then what Datadog receives is
 * read back from the intake recorder. Every trace arrives once, obfuscated, with its priority and the task's tags,
 * and the APM stats count the same hits and errors, whether the agent computed them or the tracer did (Python and Go
 * are run with the tracer's stats on: they first read {@code /info}, then send {@code /v0.6/stats} and drop nothing
 * the agent needs).
 */
class ApmTracersIT {

    private static final int TRACES = 20;
    private static final int ERRORS = 5;
    /** Stats leave the agent two 10-second buckets after the spans; the sinks ship within seconds. */
    private static final Duration ARRIVAL = Duration.ofSeconds(90);
    private static final String SQL = "SELECT * FROM users WHERE id = ? AND name = ?";

    /**
     * Each run: the app's language, how it reaches the agent, whether the tracer computes stats itself, and whether
     * its sampling rule rejects every trace (priority -1: a tracer computing stats then drops them itself).
     */
    private record Run(TracerApps.Language language, boolean unixSocket, boolean clientStats, boolean rejectAll) {
        String service() {
            return "it-" + language.name().toLowerCase() + (unixSocket ? "-uds" : "-tcp")
                    + (clientStats ? "-cs" : "") + (rejectAll ? "-p0" : "");
        }
    }

    private static final Map<String, Run> RUNS = new LinkedHashMap<>();

    static {
        for (Run run : List.of(
                new Run(TracerApps.Language.JAVA, false, false, false),
                new Run(TracerApps.Language.NODE, false, false, false),
                new Run(TracerApps.Language.PYTHON, true, false, false),
                new Run(TracerApps.Language.PYTHON, false, true, false),
                new Run(TracerApps.Language.GO, true, true, false),
                new Run(TracerApps.Language.GO, false, true, true))) {
            RUNS.put(run.service(), run);
        }
    }

    private static AgentFixture fixture;
    private static AgentProcess agent;
    private static final Map<String, String> outputs = new HashMap<>();
    private static final Map<String, Throwable> failures = new HashMap<>();

    @BeforeAll
    static void startAgentAndRunEveryTracer() throws Exception {
        TracerApps apps = TracerApps.installed();
        fixture = AgentFixture.demoTask();
        int port = AgentFixture.freePort();
        Path socket = Files.createTempDirectory("pf-apm").resolve("apm.socket");
        String intake = fixture.intake.uri().toString();
        agent = fixture.start(fixture.fastAgent()
                .env("DD_APM_RECEIVER_PORT", Integer.toString(port))
                .env("DD_APM_RECEIVER_SOCKET", socket.toString())
                .env("DD_APM_DD_URL", intake)
                // The tracers' side channels (telemetry, remote config, profiles) go to the recorder too: nothing
                // leaves the machine.
                .env("DD_APM_TELEMETRY_DD_URL", intake)
                .env("DD_APM_PROFILING_DD_URL", intake + "/api/v2/profile")
                .property("pilotfish.status.port", Integer.toString(fixture.statusPort)));
        if (!agent.awaitLine(l -> l.contains("APM receiver listening on unix"), Duration.ofSeconds(60))) {
            throw new AssertionError("the agent did not say the APM receiver listens within 60 s:\n"
                    + agent.outputText());
        }
        // Task tags go on traces once the agent knows the task.
        fixture.intake.awaitSeries("container.memory.usage", s -> s.hasTags("task_family:shop"),
                Duration.ofSeconds(30));
        for (Run run : RUNS.values()) {
            Map<String, String> env = new HashMap<>();
            env.put("DD_TRACE_AGENT_URL", run.unixSocket() ? "unix://" + socket : "http://127.0.0.1:" + port);
            env.put("DD_SERVICE", run.service());
            env.put("DD_ENV", "it");
            env.put("DD_VERSION", "1.2.3");
            env.put("APP_TRACES", Integer.toString(TRACES));
            env.put("APP_ERRORS", Integer.toString(ERRORS));
            env.put("DD_TRACE_STATS_COMPUTATION_ENABLED", Boolean.toString(run.clientStats()));
            if (run.rejectAll()) {
                env.put("DD_TRACE_SAMPLE_RATE", "0");
            }
            try {
                outputs.put(run.service(), apps.run(run.language(), env, Duration.ofSeconds(120)));
            } catch (Throwable e) {
                failures.put(run.service(), e);
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static void ran(String service) {
        Throwable failure = failures.get(service);
        if (failure != null) {
            throw new AssertionError("the tracer app of " + service + " failed", failure);
        }
        assertTrue(outputs.get(service).contains("sent " + TRACES + " traces"), outputs.get(service));
    }

    private static List<Map.Entry<AgentPayloadReader.Tracer, AgentPayloadReader.Chunk>> chunks(String service) {
        return RecordedTraces.chunks(fixture.intake, service);
    }

    private static long[] stats(String service, String name) {
        return RecordedTraces.stats(fixture.intake, service, name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"it-java-tcp", "it-node-tcp", "it-python-uds", "it-python-tcp-cs", "it-go-uds-cs"})
    void everyTraceArrivesOnceObfuscatedWithItsPriorityAndTheTasksTags(String service) throws Exception {
        ran(service);
        AgentFixture.await(TRACES + " traces of " + service, ARRIVAL, () -> chunks(service).stream()
                .map(e -> e.getValue().spans().get(0).traceId()).distinct().count() >= TRACES);
        var chunks = chunks(service);
        Map<Long, Long> perTrace = chunks.stream().collect(Collectors.groupingBy(
                e -> e.getValue().spans().get(0).traceId(), Collectors.counting()));
        assertEquals(TRACES, perTrace.size(), "20 traces: " + perTrace);
        List<AgentPayloadReader.DecodedSpan> spans = chunks.stream().flatMap(e -> e.getValue().spans().stream())
                .toList();
        List<AgentPayloadReader.DecodedSpan> roots = spans.stream()
                .filter(s -> s.service().equals(service) && s.parentId() == 0).toList();
        assertEquals(TRACES, roots.size(), "each root once: " + roots.size());
        assertEquals(ERRORS, roots.stream().filter(s -> s.error() == 1).count(), "the error flags");
        assertTrue(roots.stream().allMatch(s -> s.resource().equals("GET /users/{id}")), "resources");
        List<AgentPayloadReader.DecodedSpan> queries = spans.stream().filter(s -> s.type().equals("sql")).toList();
        assertEquals(TRACES, queries.size());
        assertTrue(queries.stream().allMatch(s -> s.resource().equals(SQL)),
                "SQL obfuscated by the agent: " + queries.get(0).resource());
        for (var entry : chunks) {
            AgentPayloadReader.Chunk chunk = entry.getValue();
            assertEquals(1, chunk.priority(), "the tracer's auto-keep priority");
            AgentPayloadReader.DecodedSpan root = chunk.spans().stream().filter(s -> s.parentId() == 0)
                    .findFirst().orElseThrow();
            assertEquals(1.0, root.metrics().get("_sampling_priority_v1"));
            String decisionMaker = chunk.tags().getOrDefault("_dd.p.dm", root.meta().get("_dd.p.dm"));
            assertTrue(decisionMaker != null && decisionMaker.startsWith("-"),
                    "the decision maker is kept: " + chunk.tags() + " " + root.meta());
            AgentPayloadReader.Tracer tracer = entry.getKey();
            assertEquals("it", tracer.env());
            String containerTags = tracer.tags().getOrDefault("_dd.tags.container", "");
            assertTrue(containerTags.contains("task_family:shop") && containerTags.contains("task_arn:"),
                    "the task's tags: " + tracer.tags());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"it-java-tcp", "it-node-tcp", "it-python-uds", "it-python-tcp-cs", "it-go-uds-cs",
            "it-go-tcp-cs-p0"})
    void statsCountTheSameHitsAndErrors(String service) throws Exception {
        ran(service);
        if (RUNS.get(service).clientStats()) {
            assertTrue(fixture.localFigure("pilotfish_apm_stats_client_payloads_total") > 0,
                    "the tracer sent its own stats to /v0.6/stats, having read /info");
        }
        AgentFixture.await("stats of " + service, ARRIVAL, () -> stats(service, "web.request")[0] >= TRACES);
        long[] web = stats(service, "web.request");
        assertEquals(TRACES, web[0], "hits of the web spans, counted once");
        assertEquals(ERRORS, web[1], "errors of the web spans");
    }

    @org.junit.jupiter.api.Test
    void statusShowsWhatTheReceiverTookInByEndpointAndLanguage() throws Exception {
        AgentProcess.CommandOutput text = fixture.agent()
                .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                .args("status").runToEnd(Duration.ofSeconds(60));
        assertEquals(0, text.exitCode(), text.toString());
        String out = text.stdout();
        assertTrue(out.contains("  apm ") && out.contains("listening on tcp 127.0.0.1:")
                && out.contains(", unix "), out);
        String received = out.lines().filter(l -> l.startsWith("    traces received: ")).findFirst().orElseThrow();
        for (String part : List.of("v0.4 ", "v0.5 ", "java ", "nodejs ", "python ", "go ")) {
            assertTrue(received.contains(part), part + " in: " + received);
        }
        assertTrue(out.contains("    payloads refused: none"), out);
    }

    @org.junit.jupiter.api.Test
    void aTracerThatReadInfoDropsRejectedTracesItselfAndTheirStatsStillCount() throws Exception {
        String service = "it-go-tcp-cs-p0";
        ran(service);
        AgentFixture.await("stats of " + service, ARRIVAL, () -> stats(service, "web.request")[0] >= TRACES);
        long arrived = chunks(service).stream().filter(e -> e.getValue().spans().stream()
                .anyMatch(s -> s.parentId() == 0 && s.service().equals(service) && s.error() == 0)).count();
        assertEquals(0, arrived, "the tracer dropped its rejected traces (client_drop_p0s), none was sent");
        assertTrue(fixture.localFigure("pilotfish_apm_client_dropped_p0_traces_total") > 0,
                "the agent counted what the tracer said it dropped");
    }
}
