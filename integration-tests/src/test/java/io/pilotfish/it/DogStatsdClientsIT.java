package io.pilotfish.it;

import static io.pilotfish.it.DogStatsdWorkload.assertBasic;
import static io.pilotfish.it.DogStatsdWorkload.assertCount;
import static io.pilotfish.it.DogStatsdWorkload.assertGauge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.timgroup.statsd.NonBlockingStatsDClient;
import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import com.timgroup.statsd.TagsCardinality;
import io.pilotfish.testkit.RecordedSeries;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real DogStatsD clients, from Maven Central, npm and PyPI, against the packaged agent: what they send arrives at the
 * Datadog intake with the values the Datadog Agent would compute. One agent serves the class (UDP on a free port and
 * a Unix datagram socket); each client sends under its own metric prefix, all before the first test, each within one
 * 10-second bucket, so the tests then only wait for those buckets to close and be shipped.
 */
class DogStatsdClientsIT {

    /** A bucket closes at most 10 s after the send; the sinks ship within a few seconds after that. */
    private static final Duration ARRIVAL = Duration.ofSeconds(25);
    private static final String HOST = "127.0.0.1";

    private static AgentFixture fixture;
    private static AgentProcess agent;
    private static StatsdClients clients;
    private static Path socketDir;
    private static Path socket;
    private static int udpPort;
    /** Per workload: the prefix its metrics were sent under, or why sending failed. */
    private static final Map<String, String> prefixes = new LinkedHashMap<>();
    private static final Map<String, Throwable> failures = new LinkedHashMap<>();
    private static final List<String> timings = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startAgentAndSendEveryWorkload() throws Exception {
        long started = System.nanoTime();
        clients = StatsdClients.installed();
        fixture = AgentFixture.demoTask();
        udpPort = StatsdClients.freeUdpPort();
        socketDir = Files.createTempDirectory("pf-dsd");
        socket = socketDir.resolve("dsd.socket");
        agent = fixture.start(fixture.fastAgentShippingTelemetry()
                .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                .property("pilotfish.collectors.dogstatsd.port", Integer.toString(udpPort))
                .property("pilotfish.collectors.dogstatsd.socket", socket.toString()));
        if (!agent.awaitLine(l -> l.contains("dogstatsd listening"), Duration.ofSeconds(30))) {
            throw new AssertionError("the agent did not say DogStatsD listens within 30 s:\n" + agent.outputText());
        }
        // Task tags are added once the agent knows the task: wait for its first task metrics.
        fixture.intake.awaitSeries("container.memory.usage", s -> s.hasTags("task_family:shop"),
                Duration.ofSeconds(30));
        timings.add("agent ready after " + millisSince(started) + " ms");

        send("java-udp", prefix -> withJavaClient(DogStatsdWorkload.unsampledClient()
                .address("udp://" + HOST + ":" + udpPort).constantTags("client:java"),
                client -> DogStatsdWorkload.sendBasic(client, prefix)));
        send("java-uds", prefix -> withJavaClient(DogStatsdWorkload.unsampledClient()
                .address("unix://" + socket).constantTags("client:java-uds"),
                client -> DogStatsdWorkload.sendBasic(client, prefix)));
        // The client as an application builds it: client-side aggregation on (its default); blocking only so that
        // stop() sends what it holds.
        send("java-default", prefix -> withJavaClient(new NonBlockingStatsDClientBuilder()
                .address("udp://" + HOST + ":" + udpPort).blocking(true).enableTelemetry(false)
                .originDetectionEnabled(false).constantTags("client:java-default"), client -> {
                    for (int i = 0; i < DogStatsdWorkload.INCREMENTS; i++) {
                        client.count(prefix + ".requests", 1, DogStatsdWorkload.SAMPLE_RATE);
                    }
                    for (double depth : new double[] {10, 20, 42.5}) {
                        client.gauge(prefix + ".queue_depth", depth);
                    }
                }));
        // The client names the container it runs in (as its origin detection would find it in /proc/self/cgroup).
        send("java-origin", prefix -> withJavaClient(DogStatsdWorkload.unsampledClient()
                .address("udp://" + HOST + ":" + udpPort).containerID(fixture.task.dockerId("app"))
                .constantTags("client:java-origin"), client -> {
                    client.count(prefix + ".low", 5);
                    client.count(prefix + ".high", 5, 1.0, TagsCardinality.HIGH);
                    client.count(prefix + ".none", 5, 1.0, TagsCardinality.NONE);
                }));
        send("hot-shots", prefix -> clients.hotShots(HOST, udpPort, "basic", prefix));
        send("datadog-py", prefix -> clients.datadogPy(HOST, udpPort, "basic", prefix));
        send("malformed", prefix -> {
            byte[] packet = malformedPacket(prefix).getBytes(StandardCharsets.UTF_8);
            try (DatagramSocket udp = new DatagramSocket()) {
                udp.send(new DatagramPacket(packet, packet.length, InetAddress.getByName(HOST), udpPort));
            }
        });
        timings.add("every workload sent after " + millisSince(started) + " ms");
    }

    @AfterAll
    static void stopAgent() throws Exception {
        try {
            if (fixture != null) {
                fixture.close();
            }
        } finally {
            if (socketDir != null) {
                Files.deleteIfExists(socket);
                Files.deleteIfExists(socketDir);
            }
            System.out.println("DogStatsdClientsIT: " + String.join("; ", timings));
        }
    }

    // ------------------------------------------------------------------ the tests

    @Test
    void javaClientOverUdpArrivesExact() throws Throwable {
        assertBasic(fixture.intake, prefix("java-udp"), "java", "java", ARRIVAL);
    }

    @Test
    void javaClientOverUnixDatagramSocketArrivesExact() throws Throwable {
        assertBasic(fixture.intake, prefix("java-uds"), "java-uds", "java", ARRIVAL);
        // Only this client uses the socket: the agent counted each of its messages there, once.
        DogStatsdWorkload.awaitQuietly(() -> fixture.selfCount("pilotfish.dogstatsd.messages", "listener:uds")
                >= DogStatsdWorkload.BASIC_MESSAGES, ARRIVAL);
        assertEquals(DogStatsdWorkload.BASIC_MESSAGES, fixture.selfCount("pilotfish.dogstatsd.messages",
                "listener:uds"), 0, "messages the agent read from the Unix socket");
    }

    @Test
    void javaClientWithItsDefaultAggregationCountsEveryCallOnce() throws Throwable {
        String prefix = prefix("java-default");
        // With client-side aggregation on, the Java client sums the 1000 calls itself and drops their sample rate
        // (nothing was sampled out), so the agent must count 1000, not 2000.
        assertCount(fixture.intake, prefix + ".requests", DogStatsdWorkload.INCREMENTS, ARRIVAL,
                "client:java-default");
        assertGauge(fixture.intake, prefix + ".queue_depth", 42.5, ARRIVAL, "client:java-default");
    }

    @Test
    void clientContainerIdAddsThatContainersTagsAtTheAskedCardinality() throws Throwable {
        String prefix = prefix("java-origin");
        String appId = fixture.task.dockerId("app");
        // Default (the agent's tag-cardinality, low): the container's own low tags and the task's.
        RecordedSeries low = assertCount(fixture.intake, prefix + ".low", 5, ARRIVAL, "client:java-origin");
        for (String tag : List.of("ecs_container_name:app", "short_image:shop-app", "image_tag:1.4.2",
                "task_family:shop", "cluster_name:demo")) {
            assertTrue(low.tags().contains(tag), tag + " missing from " + low.tags());
        }
        assertTrue(low.tag("container_id").isEmpty() && low.tag("task_arn").isEmpty(), "low: " + low.tags());
        // card:high adds the task ARN (orchestrator) and the container's id and runtime name.
        RecordedSeries high = assertCount(fixture.intake, prefix + ".high", 5, ARRIVAL, "client:java-origin");
        assertTrue(high.tags().contains("container_id:" + appId), "high: " + high.tags());
        assertTrue(high.tag("task_arn").isPresent() && high.tags().contains("ecs_container_name:app"),
                "high: " + high.tags());
        // card:none: the client's tags only.
        RecordedSeries none = assertCount(fixture.intake, prefix + ".none", 5, ARRIVAL, "client:java-origin");
        assertEquals(List.of("client:java-origin"), none.tags(), "card:none adds nothing");
    }

    @Test
    void hotShotsOverUdpArrivesExact() throws Throwable {
        assertBasic(fixture.intake, prefix("hot-shots"), "hot-shots", "hot-shots", ARRIVAL);
    }

    @Test
    void datadogPythonOverUdpArrivesExact() throws Throwable {
        assertBasic(fixture.intake, prefix("datadog-py"), "datadog-py", "datadog-py", ARRIVAL);
    }

    /**
     * One packet of good and bad lines: the bad ones are counted by reason, the good ones are all taken. The other
     * clients' packets hold no bad line, so these are the agent's only parse errors.
     */
    @Test
    void malformedLinesAreCountedByReasonAndTheRestOfThePacketIsKept() throws Throwable {
        String prefix = prefix("malformed");
        // 1 + 2 / 0.5 + 1 (its \r dropped)
        assertCount(fixture.intake, prefix + ".good", 6, ARRIVAL);
        Map<String, Double> expected = new TreeMap<>(Map.of("reason:malformed", 2.0, "reason:bad_type", 1.0,
                "reason:bad_value", 1.0, "reason:non_finite", 1.0));
        DogStatsdWorkload.awaitQuietly(() -> parseErrors().equals(expected), ARRIVAL);
        assertEquals(expected, parseErrors(), "pilotfish.dogstatsd.parse_errors by reason");
        for (RecordedSeries series : fixture.accepted("pilotfish.dogstatsd.parse_errors")) {
            assertTrue(series.hasTags("collector:dogstatsd"), "tagged with the plugin instance: " + series.tags());
        }
        assertEquals(0, fixture.selfCount("pilotfish.dogstatsd.dropped"), "no packet or message was dropped: "
                + fixture.accepted("pilotfish.dogstatsd.dropped"));
        assertTrue(agent.output().stream().anyMatch(l -> l.contains("bad_type") || l.contains("bad type")),
                "the agent's log says why a line was dropped:\n" + agent.outputText());
    }

    static String malformedPacket(String prefix) {
        return String.join("\n",
                prefix + ".good:1|c",
                prefix + ".no_colon|c",          // malformed: no ':' before the '|'
                prefix + ".good:2|c|@0.5",
                prefix + ".bad_type:1|x",        // bad_type
                ":3|c",                          // malformed: empty name
                prefix + ".bad_value:1,5|c",     // bad_value
                prefix + ".good:1|c\r",          // a trailing \r is dropped, as the Agent does
                prefix + ".nan:NaN|g");          // non_finite
    }

    private static Map<String, Double> parseErrors() {
        Map<String, Double> byReason = new TreeMap<>();
        for (RecordedSeries series : fixture.accepted("pilotfish.dogstatsd.parse_errors")) {
            String reason = "reason:" + series.tag("reason").orElse("?");
            double sum = series.points().stream().mapToDouble(RecordedSeries.Point::value).sum();
            if (sum != 0) {
                byReason.merge(reason, sum, Double::sum);
            }
        }
        return byReason;
    }

    // ------------------------------------------------------------------ sending within one bucket

    @FunctionalInterface
    interface ClientUse {
        void accept(NonBlockingStatsDClient client) throws Exception;
    }

    /** Builds the Java client, uses it, stops it (which sends what it holds) and fails on any error it reported. */
    private static void withJavaClient(NonBlockingStatsDClientBuilder builder, ClientUse use) throws Exception {
        List<Exception> errors = new CopyOnWriteArrayList<>();
        try (NonBlockingStatsDClient client = builder.errorHandler(errors::add).build()) {
            use.accept(client);
        }
        if (!errors.isEmpty()) {
            AssertionError failure = new AssertionError("the Java client reported " + errors.size() + " error(s)",
                    errors.get(0));
            errors.stream().skip(1).forEach(failure::addSuppressed);
            throw failure;
        }
    }

    @FunctionalInterface
    interface Workload {
        void send(String prefix) throws Exception;
    }

    /**
     * Sends a workload within one 10-second bucket: started with at least 3 s of the bucket left, and finished at
     * least 0.5 s before its end, so the agent takes every sample into the same bucket. A workload that did not
     * fit is sent again under a new prefix (its first samples are then another prefix's and do not count).
     */
    private static void send(String name, Workload workload) {
        for (int attempt = 1; attempt <= 3; attempt++) {
            String prefix = "it." + name.replace('-', '_') + ".a" + attempt;
            try {
                long now = System.currentTimeMillis();
                if (now % 10_000 > 7_000) {
                    Thread.sleep(10_000 - now % 10_000 + 50);
                }
                long start = System.currentTimeMillis();
                workload.send(prefix);
                long end = System.currentTimeMillis();
                timings.add(name + " " + (end - start) + " ms");
                if (start / 10_000 == end / 10_000 && end % 10_000 < 9_500) {
                    prefixes.put(name, prefix);
                    return;
                }
                timings.add(name + " crossed a bucket boundary; sending again");
            } catch (Throwable e) {
                failures.put(name, e);
                return;
            }
        }
        failures.put(name, new AssertionError(name + " never fitted in one 10-second bucket in 3 attempts"));
    }

    private static String prefix(String workload) throws Throwable {
        Throwable failure = failures.get(workload);
        if (failure != null) {
            throw failure;
        }
        String prefix = prefixes.get(workload);
        if (prefix == null) {
            throw new AssertionError("workload " + workload + " was not sent");
        }
        return prefix;
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
