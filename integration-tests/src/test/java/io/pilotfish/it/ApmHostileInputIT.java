package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The packaged agent, started by the launcher with APM on (its 128 MiB heap, exit on OutOfMemoryError), while
 * clients send it what broke trace receivers before: bodies of tiny spans that decode to far more than they weigh,
 * garbage, bodies declared larger than the limit, and clients that trickle theirs. Meanwhile a real tracer sends its
 * traces. Each bad request gets the Agent's status and is counted by reason; the tracer's traces all arrive; the agent
 * is alive at the end with its peak RSS within what its flags allow.
 */
class ApmHostileInputIT {

    /** -Xmx128m, metaspace 96, code cache 32, and 32 MiB for stacks, GC structures and direct buffers. */
    private static final long RSS_BUDGET_KIB = (128 + 96 + 32 + 32) * 1024;
    private static final Duration STORM = Duration.ofSeconds(20);

    @Test
    void badPayloadsAreRefusedAndCountedWhileAGoodTracerLosesNothing() throws Exception {
        TracerApps apps = TracerApps.installed();
        try (AgentFixture fixture = AgentFixture.demoTask()) {
            int port = AgentFixture.freePort();
            String intake = fixture.intake.uri().toString();
            AgentProcess agent = fixture.start(fixture.agent().viaLauncher()
                    .env("DD_APM_RECEIVER_PORT", Integer.toString(port))
                    .env("DD_APM_DD_URL", intake)
                    .env("DD_APM_TELEMETRY_DD_URL", intake)
                    .property("pilotfish.status.port", Integer.toString(fixture.statusPort)));
            assertTrue(agent.awaitLine(l -> l.contains("APM receiver listening on tcp"), Duration.ofSeconds(60)),
                    agent.outputText());

            Map<Integer, AtomicLong> answers = new ConcurrentHashMap<>();
            AtomicBoolean storming = new AtomicBoolean(true);
            List<Thread> threads = new ArrayList<>();
            threads.add(Thread.ofPlatform().name("bomber").start(() -> {
                byte[] bomb = tinySpans(20 * 1024 * 1024);
                while (storming.get()) {
                    count(answers, send(port, "/v0.4/traces", bomb));
                }
            }));
            threads.add(Thread.ofPlatform().name("garbage").start(() -> {
                Random random = new Random(42);
                while (storming.get()) {
                    byte[] junk = new byte[1 + random.nextInt(64 * 1024)];
                    random.nextBytes(junk);
                    junk[0] = (byte) 0xdd; // an array32 that claims billions of traces
                    count(answers, send(port, "/v0.4/traces", junk));
                    sleep(20);
                }
            }));
            threads.add(Thread.ofPlatform().name("oversized").start(() -> {
                while (storming.get()) {
                    count(answers, declareOnly(port, 30L * 1024 * 1024));
                    sleep(100);
                }
            }));
            for (int i = 0; i < 4; i++) {
                threads.add(Thread.ofPlatform().name("trickle-" + i).start(() -> {
                    while (storming.get()) {
                        count(answers, trickle(port));
                    }
                }));
            }
            String service = "it-hostile-python";
            for (int run = 0; run < 3; run++) {
                String out = apps.run(TracerApps.Language.PYTHON, Map.of(
                        "DD_TRACE_AGENT_URL", "http://127.0.0.1:" + port, "DD_SERVICE", service + run,
                        "DD_ENV", "it", "APP_TRACES", "20", "APP_ERRORS", "0"), Duration.ofSeconds(120));
                assertTrue(out.contains("sent 20 traces"), out);
                sleep(STORM.toMillis() / 3);
            }
            storming.set(false);
            for (Thread thread : threads) {
                thread.join(60_000);
            }

            assertTrue(agent.isAlive(), "the agent survived:\n" + agent.outputText());
            long peak = agent.peakRssKiB();
            assertTrue(peak < RSS_BUDGET_KIB, "peak RSS " + peak + " KiB within " + RSS_BUDGET_KIB);
            for (int run = 0; run < 3; run++) {
                String name = service + run;
                AgentFixture.await("the good tracer's traces of run " + run, Duration.ofSeconds(60),
                        () -> roots(fixture, name) >= 20);
                assertEquals(20, roots(fixture, name), "every trace of the good tracer, once");
            }
            assertTrue(answers.containsKey(413), "oversized bodies and span bombs get 413: " + answers);
            assertTrue(answers.containsKey(400), "garbage gets 400: " + answers);
            assertTrue(answers.containsKey(408), "tricklers get 408: " + answers);
            for (String reason : List.of("payload_too_large", "timeout")) {
                assertTrue(fixture.localFigure("pilotfish_apm_payload_errors_total", "reason=\"" + reason + "\"") > 0,
                        reason + " counted");
            }
            System.out.printf("APM HOSTILE: answers %s; peak RSS %.1f MiB%n", answers, peak / 1024.0);
        }
    }

    private static long roots(AgentFixture fixture, String service) {
        return RecordedTraces.chunks(fixture.intake, service).stream().flatMap(e -> e.getValue().spans().stream())
                .filter(s -> s.parentId() == 0 && s.service().equals(service)).map(s -> s.traceId()).distinct()
                .count();
    }

    private static void count(Map<Integer, AtomicLong> answers, int status) {
        answers.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
    }

    /** {@code [[{}], [{}], ...]}: 2 bytes a span on the wire, a whole span object once decoded. */
    private static byte[] tinySpans(int bytes) {
        int spans = (bytes - 5) / 2;
        byte[] body = new byte[5 + spans * 2];
        body[0] = (byte) 0xdd;
        body[1] = (byte) (spans >>> 24);
        body[2] = (byte) (spans >>> 16);
        body[3] = (byte) (spans >>> 8);
        body[4] = (byte) spans;
        for (int i = 5; i < body.length; i += 2) {
            body[i] = (byte) 0x91;
            body[i + 1] = (byte) 0x80;
        }
        return body;
    }

    private static int send(int port, String path, byte[] body) {
        try (Socket socket = connect(port)) {
            OutputStream out = socket.getOutputStream();
            out.write(head(path, body.length));
            try {
                out.write(body);
                out.flush();
            } catch (IOException closedOnUs) {
                // answered before the whole body was read (413): the status line is still there
            }
            return status(socket.getInputStream());
        } catch (IOException e) {
            return -1;
        }
    }

    private static int declareOnly(int port, long declared) {
        try (Socket socket = connect(port)) {
            socket.getOutputStream().write(head("/v0.4/traces", declared));
            return status(socket.getInputStream());
        } catch (IOException e) {
            return -1;
        }
    }

    /** A body that comes one byte a second: the receiver's timeout answers it. */
    private static int trickle(int port) {
        try (Socket socket = connect(port)) {
            OutputStream out = socket.getOutputStream();
            out.write(head("/v0.4/traces", 1000));
            out.write(0x91);
            out.flush();
            return status(socket.getInputStream());
        } catch (IOException e) {
            return -1;
        }
    }

    private static byte[] head(String path, long length) {
        return ("PUT " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/msgpack\r\n"
                + "Datadog-Meta-Lang: hostile\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(30_000);
        return socket;
    }

    private static int status(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        String[] parts = line.toString().split(" ");
        return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
