package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.testkit.RecordedLogs;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -HUP} on a log router while an app sends without pause: the forward listener keeps its port and the
 * app's connection, and no line is lost or repeated across the reload.
 */
class LogsReloadIT {

    private static final Duration ARRIVAL = Duration.ofSeconds(90);
    private static final Pattern NUMBERED = Pattern.compile("line (\\d+) of reload");

    @Test
    void hangUpWhileAnAppSendsKeepsTheListenerAndLosesOrRepeatsNoLine() throws Exception {
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = AgentFixture.freePort();
            AgentProcess agent = fixture.start(fixture.fastAgent()
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort))
                    .env("DD_LOGS_ENABLED", "true")
                    .env("DD_LOGS_CONFIG_LOGS_DD_URL", "127.0.0.1:" + fixture.intake.uri().getPort())
                    .env("DD_LOGS_CONFIG_LOGS_NO_SSL", "true")
                    .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_PORT", Integer.toString(port))
                    .env("PILOTFISH_COLLECTORS_FLUENT_FORWARD_SOCKET",
                            java.nio.file.Files.createTempDirectory("pf-reload").resolve("fluent.sock").toString())
                    .env("DD_APM_ENABLED", "false"));
            assertTrue(agent.awaitLine(l -> l.contains(" ready in "), Duration.ofSeconds(60)), agent.outputText());

            AckedSender sender = new AckedSender(port);
            Thread sending = new Thread(sender, "reload-it-sender");
            sending.start();
            try {
                AgentFixture.await("lines arriving before the reload", ARRIVAL, () -> numbers(fixture).size() >= 300);
                long ackedAtHangUp = sender.acked.get();
                agent.hangUp();
                assertTrue(agent.awaitLine(l -> l.contains("configuration reload (SIGHUP)"), ARRIVAL),
                        "the agent reloaded:\n" + agent.outputText());
                // The same connection goes on being acked after the reload.
                long ackedAtReload = sender.acked.get();
                AgentFixture.await("acks after the reload", ARRIVAL,
                        () -> sender.acked.get() >= ackedAtReload + 300 || sender.failure.get() != null);
                assertTrue(ackedAtReload > ackedAtHangUp || sender.acked.get() > ackedAtReload,
                        "sending went on across the reload");
            } finally {
                sender.stop = true;
                sending.join(30_000);
            }
            assertEquals(null, sender.failure.get(), "the app's connection outlived the reload");
            long acked = sender.acked.get();
            AgentFixture.await(acked + " acked lines at the intake", ARRIVAL, () -> numbers(fixture).size() >= acked);
            assertEquals(LongStream.rangeClosed(1, acked).boxed().toList(), numbers(fixture),
                    "every acked line once, in order, across the reload");

            // The listener still takes new connections on its port.
            AckedSender late = new AckedSender(port);
            late.next = acked + 1;
            late.sendOneFrame();
            AgentFixture.await("a new connection's lines", ARRIVAL, () -> numbers(fixture).size() >= late.acked.get()
                    + acked);
            JsonNode status = HotReloadIT.status(fixture.statusPort);
            assertTrue(ReloadWithoutSsmIT.states(status, "collectors").contains("fluent-forward=running"),
                    status.toString());
            assertEquals(0, HotReloadIT.sink(status, "datadog-logs").path("dropped").asLong(), status.toString());
        }
    }

    private static List<Long> numbers(AgentFixture fixture) {
        return RecordedLogs.accepted(fixture.intake, log -> NUMBERED.matcher(log.message()).matches()).stream()
                .map(log -> {
                    Matcher m = NUMBERED.matcher(log.message());
                    assertTrue(m.matches());
                    return Long.parseLong(m.group(1));
                }).toList();
    }

    /**
     * A tiny Fluentd forward client: Forward-mode frames ({@code [tag, [[time, {"log": line}]...], {"chunk": id}]}) of
     * ten numbered lines, each sent once the previous one was acked, on one TCP connection, until stopped. Any failure
     * (the connection closed, a wrong ack) ends it and is kept.
     */
    private static final class AckedSender implements Runnable {
        private static final int LINES_PER_FRAME = 10;
        private final int port;
        final AtomicLong acked = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean stop;
        long next = 1;
        private long chunk;

        AckedSender(int port) {
            this.port = port;
        }

        @Override
        public void run() {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(60_000);
                while (!stop) {
                    frame(socket.getOutputStream(), new DataInputStream(socket.getInputStream()));
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }

        void sendOneFrame() throws IOException {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(60_000);
                frame(socket.getOutputStream(), new DataInputStream(socket.getInputStream()));
            }
        }

        private void frame(OutputStream out, DataInputStream in) throws IOException {
            String id = "reload-" + chunk++;
            long seconds = System.currentTimeMillis() / 1000;
            ForwardFrames.Msgpack frame = new ForwardFrames.Msgpack();
            frame.arrayHeader(3).str("app-firelens-reload").arrayHeader(LINES_PER_FRAME);
            for (int i = 0; i < LINES_PER_FRAME; i++) {
                frame.arrayHeader(2).uint32(seconds).mapHeader(1).str("log").str("line " + (next + i) + " of reload");
            }
            frame.mapHeader(1).str("chunk").str(id);
            out.write(frame.bytes(), 0, frame.length());
            out.flush();
            ForwardFrames.readAck(in, id);
            next += LINES_PER_FRAME;
            acked.addAndGet(LINES_PER_FRAME);
        }
    }
}
