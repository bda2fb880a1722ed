package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.testkit.RecordedLogs;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The logs sink's disk buffer in the packaged agent: lines a Fluent forward client sends during an intake outage fill
 * a small memory queue and go to disk; SIGTERM during the outage writes what memory still holds there too; the next
 * agent on the same directory sends all of it once the intake is back, each line once, in order. And a buffer too
 * small for the outage drops its oldest segment, counted as {@code disk_full} and shown in status, the agent alive.
 */
class LogsDiskBufferIT {

    private static final Duration ARRIVAL = Duration.ofSeconds(120);
    private static final Pattern NUMBERED = Pattern.compile("disk-it (\\S+) line (\\d+) .*");
    /** Little for the lines sent: they must overflow it. */
    private static final String QUEUE_BYTES = Integer.toString(256 * 1024);

    private static AgentProcess.Builder logsAgent(AgentFixture fixture, int forwardPort, Path buffer) {
        return fixture.fastAgent()
                .env("DD_LOGS_ENABLED", "true")
                .env("DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:" + fixture.intake.uri().getPort())
                .env("DD_LOGS_CONFIG_LOGS_NO_SSL", "true")
                .env("DD_APM_ENABLED", "false")
                .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT", Integer.toString(forwardPort))
                .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET", "")
                .env("PILOTFISH_SINKS_DATADOG_LOGS_QUEUE_MAX_BYTES", QUEUE_BYTES)
                .env("PILOTFISH_SINKS_DATADOG_LOGS_DISK_BUFFER_PATH", buffer.toString())
                // Short, so the stop does not retry a dead intake for 20 s before it writes to disk.
                .env("PILOTFISH_SHUTDOWN_DEADLINE", "4s")
                .property("pilotfish.status.port", Integer.toString(fixture.statusPort));
    }

    /** The forward receiver listens and the agent is ready (its status endpoint answers from then on). */
    private static void awaitForwardReceiver(AgentProcess agent) throws InterruptedException {
        assertTrue(agent.awaitLine(l -> l.contains("forward receiver listening"), Duration.ofSeconds(60)),
                agent.outputText());
        assertTrue(agent.awaitLine(l -> l.contains(" ready in "), Duration.ofSeconds(60)), agent.outputText());
    }

    private static JsonNode diskBuffer(AgentFixture fixture) throws Exception {
        JsonNode sink = HotReloadIT.sink(HotReloadIT.status(fixture.statusPort), "datadog-logs");
        assertTrue(sink.has("disk_buffer"), sink.toString());
        return sink.path("disk_buffer");
    }

    /** The lines of {@code run} the intake accepted, by number, in arrival order. */
    private static List<Integer> arrived(AgentFixture fixture, String run) {
        List<Integer> numbers = new ArrayList<>();
        for (RecordedLogs.Log log : RecordedLogs.accepted(fixture.intake, l -> true)) {
            Matcher m = NUMBERED.matcher(log.message());
            if (m.matches() && m.group(1).equals(run)) {
                numbers.add(Integer.parseInt(m.group(2)));
            }
        }
        return numbers;
    }

    @Test
    void anOutageAndARestartLoseNoLine() throws Exception {
        Path buffer = Files.createTempDirectory("pf-disk-it").resolve("logs");
        int lines = 4000;
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = AgentFixture.freePort();
            fixture.intake.outage();
            AgentProcess first = fixture.start(logsAgent(fixture, port, buffer));
            awaitForwardReceiver(first);
            // About 2.4 MB of lines against a 256 KiB queue, acknowledged by the agent (forward's chunk option).
            ForwardSender.send(port, "outage", 0, lines, 400, 250);
            AgentFixture.await("lines written to disk", ARRIVAL, () -> {
                try {
                    return diskBuffer(fixture).path("spilled").asLong() > 0;
                } catch (Exception | AssertionError notYet) {
                    return false;
                }
            });
            assertTrue(arrived(fixture, "outage").isEmpty(), "the intake accepted nothing during the outage");

            first.terminate();
            assertTrue(first.awaitExit(Duration.ofSeconds(30)) != -1, "the agent exits on SIGTERM");
            assertTrue(first.output().stream().anyMatch(l -> l.contains("unsent items to the disk buffer")),
                    first.outputText());
            assertTrue(first.output().stream().noneMatch(l -> l.contains("datadog-logs") && l.contains("dropped")),
                    first.outputText());

            AgentProcess second = fixture.start(logsAgent(fixture, port, buffer));
            awaitForwardReceiver(second);
            assertTrue(second.awaitLine(l -> l.contains("kept from before; they are sent first"),
                    Duration.ofSeconds(30)), second.outputText());
            JsonNode kept = diskBuffer(fixture);
            assertTrue(kept.path("items").asLong() > 0, kept.toString());
            fixture.intake.recover();
            try {
                AgentFixture.await("every line at the intake", ARRIVAL,
                        () -> arrived(fixture, "outage").size() >= lines);
            } catch (AssertionError e) {
                List<Integer> got = arrived(fixture, "outage");
                throw new AssertionError(e.getMessage() + "; " + got.size() + " of " + lines + " arrived, "
                        + new java.util.TreeSet<>(got).size() + " distinct; status: "
                        + HotReloadIT.status(fixture.statusPort) + "\nfirst agent:\n" + first.outputText()
                        + "\nsecond agent:\n" + second.outputText(), e);
            }

            List<Integer> got = arrived(fixture, "outage");
            Map<Integer, Integer> seen = new TreeMap<>();
            got.forEach(n -> seen.merge(n, 1, Integer::sum));
            List<Integer> duplicates = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .toList();
            assertEquals(lines, seen.size(), "every line arrived");
            assertEquals(List.of(), duplicates, "no line arrived twice");
            for (int i = 1; i < got.size(); i++) {
                assertTrue(got.get(i) > got.get(i - 1), "in the order sent, at " + i + ": " + got.get(i - 1) + " then "
                        + got.get(i));
            }
            JsonNode status = HotReloadIT.status(fixture.statusPort);
            assertEquals(0, HotReloadIT.sink(status, "datadog-logs").path("dropped").asLong(), status.toString());
            AgentFixture.await("the buffer emptied", ARRIVAL, () -> {
                try {
                    return diskBuffer(fixture).path("items").asLong() == 0;
                } catch (Exception | AssertionError notYet) {
                    return false;
                }
            });
        }
    }

    @Test
    void aBufferTooSmallForTheOutageDropsItsOldestCountedAndTheAgentGoesOn() throws Exception {
        Path buffer = Files.createTempDirectory("pf-disk-it").resolve("logs");
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = AgentFixture.freePort();
            fixture.intake.outage();
            AgentProcess agent = fixture.start(logsAgent(fixture, port, buffer)
                    .env("PILOTFISH_SINKS_DATADOG_LOGS_DISK_BUFFER_MAX_BYTES", Integer.toString(1024 * 1024)));
            awaitForwardReceiver(agent);
            // About 8 MB of lines for a 1 MiB buffer.
            ForwardSender.send(port, "full", 0, 4000, 2000, 200);
            JsonNode[] disk = new JsonNode[1];
            AgentFixture.await("disk_full in status", ARRIVAL, () -> {
                try {
                    disk[0] = diskBuffer(fixture);
                    return disk[0].path("disk_full").asLong() > 0;
                } catch (Exception | AssertionError notYet) {
                    return false;
                }
            });
            assertTrue(disk[0].path("bytes").asLong() <= 1024 * 1024, disk[0].toString());
            JsonNode status = HotReloadIT.status(fixture.statusPort);
            assertTrue(status.toString().contains("\"reason\":\"disk_full\""), status.toString());
            assertTrue(agent.alive(), agent.outputText());
            assertTrue(agent.awaitLine(l -> l.contains("disk-buffer.max-bytes"), Duration.ofSeconds(10)),
                    "the log names the key to raise:\n" + agent.outputText());

            fixture.intake.recover();
            AgentFixture.await("the newest line at the intake", ARRIVAL,
                    () -> arrived(fixture, "full").contains(3999));
            List<Integer> got = arrived(fixture, "full");
            for (int i = 1; i < got.size(); i++) {
                assertTrue(got.get(i) > got.get(i - 1), "in order, each once");
            }
            long dropped = HotReloadIT.sink(HotReloadIT.status(fixture.statusPort), "datadog-logs").path("dropped")
                    .asLong();
            AgentFixture.await("every line sent or counted", ARRIVAL, () -> arrived(fixture, "full").size()
                    + dropped >= 4000);
        }
    }

    /** Fluent forward (PackedForward with the chunk option, as fluent-bit and fluentd send it), one connection. */
    static final class ForwardSender {

        private ForwardSender() {
        }

        /** Sends lines {@code from}..{@code from + count - 1} of {@code run}, {@code perFrame} a frame, each acked. */
        static void send(int port, String run, int from, int count, int lineBytes, int perFrame) throws IOException {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(60_000);
                OutputStream out = socket.getOutputStream();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                int chunk = 0;
                for (int start = from; start < from + count; start += perFrame) {
                    ForwardFrames.Msgpack entries = new ForwardFrames.Msgpack();
                    int end = Math.min(from + count, start + perFrame);
                    long seconds = System.currentTimeMillis() / 1000;
                    for (int n = start; n < end; n++) {
                        String head = "disk-it " + run + " line " + n + " ";
                        String line = head + "x".repeat(Math.max(1, lineBytes - head.length()));
                        entries.arrayHeader(2).uint32(seconds).mapHeader(4);
                        entries.str("log").str(line);
                        entries.str("source").str("stdout");
                        entries.str("container_id").str("0f7c9d2e4b6a48d1a3c5e7f9b1d3f5a7-disk");
                        entries.str("container_name").str("/app");
                    }
                    String chunkId = run + "-" + chunk++;
                    ForwardFrames.Msgpack frame = new ForwardFrames.Msgpack();
                    frame.arrayHeader(3).str("app-firelens-disk");
                    frame.binHeader(entries.length()).raw(entries.bytes(), entries.length());
                    frame.mapHeader(2).str("size").uint32(end - start).str("chunk").str(chunkId);
                    out.write(frame.bytes(), 0, frame.length());
                    out.flush();
                    ForwardFrames.readAck(in, chunkId);
                }
            }
        }
    }
}
