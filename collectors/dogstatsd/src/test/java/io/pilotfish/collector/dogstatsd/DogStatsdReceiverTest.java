package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.pilotfish.core.config.MapPluginConfig;
import io.pilotfish.core.plugin.PluginState;
import io.pilotfish.collector.dogstatsd.listen.ListenerSettings;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.MetricType;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Sketch;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.testkit.CollectingEmitter;
import io.pilotfish.testkit.EcsMetadataSimulator;
import io.pilotfish.testkit.TaskSpec;
import io.pilotfish.testkit.TestMetadataSource;
import io.pilotfish.testkit.TestPluginContext;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The receiver end to end on real sockets: what a client sends, what the sinks get. Tests on Unix sockets need
 * Netty's epoll transport, which exists on Linux only: they assume it, so the module still builds on a developer's
 * macOS; CI runs on Linux, where they always run (0 skipped).
 */
class DogStatsdReceiverTest {

    private static final long BUCKET = TestPluginContext.DEFAULT_START.getEpochSecond();

    private static DogStatsdConfig config(Map<String, String> keys) {
        Map<String, String> all = new HashMap<>(keys);
        MapPluginConfig plugin = MapPluginConfig.of("dogstatsd", all);
        DogStatsdConfig read = new DogStatsdFactory().configure(plugin);
        assertTrue(plugin.problems().isEmpty(), plugin.problems().toString());
        int port = keys.containsKey("port") ? read.port() : ListenerSettings.ANY_FREE_PORT;
        return new DogStatsdConfig(read.host(), port, read.socket(), read.streamSocket(), read.bufferSize(),
                read.receiveBuffer(), read.queueSize(), read.tagCardinality(), read.originDetection(),
                read.aggregation(), read.extraTags());
    }

    private static void send(int port, String payload) throws IOException {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(what, condition, () -> "");
    }

    private static void await(String what, BooleanSupplier condition, java.util.function.Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "timed out waiting for " + what + " " + state.get());
            Thread.sleep(10);
        }
    }

    /** Sends the packets, waits until the worker has parsed them all, then stops (which flushes every bucket). */
    private static CollectingEmitter run(TestPluginContext context, DogStatsdConfig config, String... packets)
            throws Exception {
        DogStatsdReceiver receiver = new DogStatsdReceiver(config, context);
        CollectingEmitter emitter = new CollectingEmitter();
        receiver.start(emitter).toCompletableFuture().get(5, TimeUnit.SECONDS);
        try {
            for (String packet : packets) {
                send(receiver.udpPort(), packet);
            }
            await(packets.length + " packets parsed", () -> context.counter("dogstatsd.packets") >= packets.length
                    && parsedAll(context));
        } finally {
            receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            receiver.close();
        }
        return emitter;
    }

    private static boolean parsedAll(TestPluginContext context) {
        Double depth = context.telemetrySnapshot().entrySet().stream()
                .filter(e -> e.getKey().startsWith("dogstatsd.queue.packets")).map(Map.Entry::getValue)
                .findFirst().orElse(0.0);
        return depth == 0;
    }

    @Test
    void countsGaugesSetsHistogramsAndDistributionsAggregateAsTheAgentDoes() throws Exception {
        StringBuilder increments = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            increments.append("page.views:1|c|@0.5|#page:home\n");
        }
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of()), increments.toString(),
                    "queue.depth:5|g\nqueue.depth:7|g", "users:alice|s\nusers:bob|s\nusers:alice|s",
                    "latency:10|ms\nlatency:20|ms\nlatency:30|ms", "payload:1:2:3:4|d|#route:/cart");
            Metric views = out.metric("page.views", "page:home");
            assertEquals(MetricType.RATE, views.type());
            assertEquals(20.0, views.value(), 1e-9, "100 increments at rate 0.5 are 200 over 10 s");
            assertEquals(10, views.intervalSeconds());
            assertEquals(BUCKET, views.timestamp());
            assertEquals(7.0, out.metric("queue.depth").value());
            assertEquals(2.0, out.metric("users").value());
            assertEquals(30.0, out.metric("latency.max").value());
            assertEquals(20.0, out.metric("latency.median").value());
            assertEquals(20.0, out.metric("latency.avg").value());
            assertEquals(0.3, out.metric("latency.count").value(), 1e-9);
            assertEquals(30.0, out.metric("latency.95percentile").value());
            Sketch payload = out.ofType(Sketch.class).get(0);
            assertEquals("payload", payload.name());
            assertEquals(TagSet.of("route:/cart"), payload.tags());
            assertEquals(4, payload.count());
            assertEquals(10, payload.sum(), 1e-9);
            assertEquals(BUCKET, payload.timestamp());
            assertEquals(9, context.counter("dogstatsd.points"), "one point per series (five for latency): " + out);
            assertEquals(5, context.counter("dogstatsd.packets", "listener:udp"));
            assertEquals(109, context.counter("dogstatsd.messages", "listener:udp"), "100 + 2 + 3 + 3 + 1 lines");
        }
    }

    @Test
    void eventsAndServiceChecksPassThroughWithTheirTags() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of("tags", "team:checkout")),
                    "_e{6,9}:Deploy|v2 is out|t:success|#env:prod\n_sc|db.up|2|m:connection refused");
            Event event = out.events().get(0);
            assertEquals("Deploy", event.title());
            assertEquals(Event.AlertType.SUCCESS, event.alertType());
            assertEquals(TagSet.of("env:prod", "team:checkout"), event.tags());
            ServiceCheck check = out.serviceChecks().get(0);
            assertEquals(ServiceCheck.Status.CRITICAL, check.status());
            assertEquals("connection refused", check.message());
            assertEquals(TagSet.of("team:checkout"), check.tags());
        }
    }

    @Test
    void badLinesAreCountedByReasonAndTheRestOfThePacketIsKept() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of()),
                    "good:1|c\nbad:1|x\nnan:NaN|g\nrate:1|c|@0\ngood:2|c\n:5|g\nnovalue:|c\ngood:3|c");
            assertEquals(0.6, out.metric("good").value(), 1e-9, "1 + 2 + 3 over 10 s");
            assertEquals(1, context.counter("dogstatsd.parse_errors", "reason:bad_type"));
            assertEquals(1, context.counter("dogstatsd.parse_errors", "reason:non_finite"));
            assertEquals(1, context.counter("dogstatsd.parse_errors", "reason:bad_sample_rate"));
            assertEquals(1, context.counter("dogstatsd.parse_errors", "reason:malformed"));
            assertEquals(1, context.counter("dogstatsd.parse_errors", "reason:missing_value"));
            assertTrue(context.log().lines().stream().anyMatch(l -> l.text().contains("bad:1|x")),
                    "the log shows the offending line: " + context.log().lines());
        }
    }

    @Test
    void controlBytesFromAPacketAreEscapedInEveryLogLineThatQuotesIt() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            // A terminal escape and a carriage return (which would overwrite the start of the log line) in a bad
            // type, a bad value and the name of a timestamped histogram (which is dropped).
            run(context, config(Map.of()), "evil\u001b[2J\rWARN forged:1|x\u001b[0m\n"
                    + "bad:1\u001b]0;title\u0007|c\nna\u001bme\r:1|ms|T1700000000");
            List<String> quoted = context.log().lines().stream().map(l -> l.text())
                    .filter(t -> t.contains("evil") || t.contains("bad:") || t.contains("na")).toList();
            assertEquals(3, quoted.size(), context.log().dump());
            for (String text : quoted) {
                assertFalse(text.chars().anyMatch(c -> c < 0x20 || c == 0x7f), text);
            }
            assertTrue(quoted.stream().anyMatch(t -> t.contains("\"evil\\x1b[2J\\rWARN forged:1|x\\x1b[0m\"")),
                    context.log().dump());
            assertTrue(quoted.stream().anyMatch(t -> t.contains("1\\x1b]0;title\\x07")), context.log().dump());
            assertTrue(quoted.stream().anyMatch(t -> t.contains("\"na\\x1bme\\r\" is a")), context.log().dump());
        }
    }

    @Test
    void anOversizedPacketKeepsItsWholeLinesAndIsCounted() throws Exception {
        StringBuilder packet = new StringBuilder();
        int lines = 0;
        while (packet.length() < 700) {
            packet.append("big.packet:1|c\n");
            lines++;
        }
        packet.append("cut.line:1|c");
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of("buffer-size", "512")), packet.toString());
            long kept = 512 / "big.packet:1|c\n".length();
            assertEquals(kept / 10.0, out.metric("big.packet").value(), 1e-9, "the whole lines within 512 bytes");
            assertFalse(out.hasMetric("cut.line"), "the line past the buffer is not guessed at");
            assertEquals(1, context.counter("dogstatsd.dropped", "reason:oversized_packet"));
            assertTrue(lines > kept);
        }
    }

    @Test
    void timestampedSamplesBypassAggregationAndUnsupportedOnesAreCounted() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of()),
                    "backfill:42|g|T1700000000\nbackfill.count:50|c|T1700000000\nbackfill.h:1|h|T1700000000");
            Metric gauge = out.metric("backfill");
            assertEquals(1_700_000_000L, gauge.timestamp());
            assertEquals(42.0, gauge.value());
            assertEquals(5.0, out.metric("backfill.count").value(), 1e-9);
            assertEquals(1, context.counter("dogstatsd.dropped", "reason:unsupported_timestamp"));
        }
    }

    @Test
    void theContextLimitDropsNewContextsAndCountsThem() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of("context-limit", "2")),
                    "a:1|c\nb:1|c\nc:1|c\na:1|c");
            assertEquals(0.2, out.metric("a").value(), 1e-9);
            assertFalse(out.hasMetric("c"));
            assertEquals(1, context.counter("dogstatsd.dropped", "reason:context_limit"));
        }
    }

    @Test
    void theClientsContainerGetsItsEcsTagsAtTheAskedCardinality() throws Exception {
        try (EcsMetadataSimulator task = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).start();
             TestPluginContext context = TestPluginContext.against(task)) {
            TaskSnapshot snapshot = context.metadata().refresh().toCompletableFuture().get(5, TimeUnit.SECONDS);
            String appId = snapshot.task().containers().stream().filter(c -> c.name().equals("app")).findFirst()
                    .orElseThrow().dockerId();
            CollectingEmitter out = run(context, config(Map.of()),
                    "from.app:1|c|#k:v|c:ci-" + appId + "\nfrom.app.high:1|c|c:" + appId + "|card:high\n"
                            + "no.origin:1|c\nno.tags:1|c|card:none\nelsewhere:1|c|c:ci-0123456789abcdef");
            Metric app = out.metric("from.app");
            assertTrue(app.tags().containsAll(List.of("k:v", "ecs_container_name:app", "cluster_name:demo",
                    "task_family:shop", "short_image:shop-app", "image_tag:1.4.2")), app.tags().toString());
            assertFalse(app.tags().stream().anyMatch(t -> t.startsWith("task_arn:") || t.startsWith("container_id:")),
                    "low cardinality: " + app.tags());
            Metric high = out.metric("from.app.high");
            assertTrue(high.tags().containsAll(List.of("container_id:" + appId, "container_name:app")),
                    high.tags().toString());
            assertTrue(high.tags().stream().anyMatch(t -> t.startsWith("task_arn:")), high.tags().toString());
            Metric plain = out.metric("no.origin");
            assertTrue(plain.tags().containsAll(List.of("cluster_name:demo", "task_family:shop")),
                    "task tags without an origin: " + plain.tags());
            assertFalse(plain.tags().stream().anyMatch(t -> t.startsWith("ecs_container_name:")),
                    plain.tags().toString());
            assertEquals(TagSet.EMPTY, out.metric("no.tags").tags(), "card:none adds nothing");
            assertEquals(plain.tags(), out.metric("elsewhere").tags(), "an unknown container gets the task's tags");
        }
    }

    @Test
    void originDetectionOffIgnoresTheContainerId() throws Exception {
        try (EcsMetadataSimulator task = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).start();
             TestPluginContext context = TestPluginContext.against(task)) {
            TaskSnapshot snapshot = context.metadata().refresh().toCompletableFuture().get(5, TimeUnit.SECONDS);
            String appId = snapshot.task().containers().get(0).dockerId();
            CollectingEmitter out = run(context, config(Map.of("origin-detection", "false")),
                    "m:1|c|c:ci-" + appId);
            assertFalse(out.metric("m").tags().stream().anyMatch(t -> t.startsWith("ecs_container_name:")),
                    out.metric("m").tags().toString());
        }
    }

    @Test
    void theStreamSocketTakesLengthPrefixedFrames() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "dsd");
        Path socket = dir.resolve("s.sock");
        try (TestPluginContext context = TestPluginContext.create()) {
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of("port", "0", "stream-socket",
                    socket.toString())), context);
            CollectingEmitter out = new CollectingEmitter();
            receiver.start(out).toCompletableFuture().get(5, TimeUnit.SECONDS);
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                for (String frame : List.of("stream.hits:1|c\nstream.hits:2|c", "stream.level:9|g")) {
                    byte[] bytes = frame.getBytes(StandardCharsets.UTF_8);
                    ByteBuffer buffer = ByteBuffer.allocate(4 + bytes.length).order(ByteOrder.LITTLE_ENDIAN);
                    buffer.putInt(bytes.length).put(bytes).flip();
                    client.write(buffer);
                }
                await("2 frames", () -> context.counter("dogstatsd.packets", "listener:uds_stream") >= 2
                        && parsedAll(context));
            } finally {
                receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
                receiver.close();
            }
            assertEquals(0.3, out.metric("stream.hits").value(), 1e-9);
            assertEquals(9.0, out.metric("stream.level").value());
            assertFalse(Files.exists(socket), "the socket file is removed on stop");
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aTakenPortIsDegradedWithTheKeyToChangeUntilARetryBindsIt() throws Exception {
        DatagramSocket taken = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        int port = taken.getLocalPort();
        try (TestPluginContext context = TestPluginContext.builder().quietLog().build()) {
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of("port", Integer.toString(port))),
                    context);
            CollectingEmitter out = new CollectingEmitter();
            receiver.start(out).toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                PluginState.View down = context.healthView();
                String degraded = down.degraded().orElseThrow();
                assertTrue(degraded.startsWith("no DogStatsD listener is bound, so nothing is received.")
                        && degraded.contains("127.0.0.1:" + port) && degraded.contains("DD_DOGSTATSD_PORT")
                        && degraded.contains("Binding is retried, next in"), degraded);
                assertEquals(List.of(), down.listening());

                taken.close(); // the other process goes away
                await("a retry to bind the port", () -> !context.healthView().listening().isEmpty()
                        && context.healthView().degraded().isEmpty(), () -> context.healthView().toString());

                PluginState.View up = context.healthView();
                assertEquals(List.of(new PluginState.Endpoint("udp", "127.0.0.1:" + port)), up.listening());
                assertTrue(up.degraded().isEmpty(), "the problem clears once bound: " + up);
                send(port, "after.retry:1|c");
                await("the UDP packet", () -> context.counter("dogstatsd.messages") >= 1);
            } finally {
                taken.close();
                receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
            assertEquals(0.1, out.metric("after.retry").value(), 1e-9);
        }
    }

    @Test
    void aStalledWorkerLosesNothingTheListenerPausesAndTheKernelHoldsThePackets() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            // 16 x 512 bytes of queue: less than a wakeup's reads may bring, so reading pauses after every packet and
            // resumes only once the queue is empty; the 64 datagrams a wakeup may still read after that fit.
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of("queue-size", "16", "buffer-size",
                    "512")), context);
            CountDownLatch stalled = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            // A timestamped gauge is emitted by the worker as it parses: holding it there stalls the worker.
            Emitter stalling = signal -> {
                if (signal instanceof Metric metric && metric.name().equals("stall")) {
                    stalled.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            receiver.start(stalling).toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                send(receiver.udpPort(), "stall:1|g|T1700000000");
                assertTrue(stalled.await(10, TimeUnit.SECONDS), "the worker reached the stalling emitter");
                String lines = "bp:1|c\n".repeat(14);
                for (int i = 0; i < 100; i++) {
                    send(receiver.udpPort(), lines);
                }
                await("reading paused", () -> context.counter("dogstatsd.read_pauses") >= 1);
                Thread.sleep(200); // what the listener would still read while the worker is stalled

                assertTrue(context.counter("dogstatsd.packets") <= 1 + 64, "reading stopped while the worker is stalled"
                        + " (the wakeup in progress may finish): "
                        + context.counter("dogstatsd.packets") + " packets read");
                release.countDown();
                await("every packet parsed", () -> context.counter("dogstatsd.messages") >= 1 + 100 * 14,
                        () -> context.counter("dogstatsd.packets") + " packets read, "
                                + context.counter("dogstatsd.messages") + " messages, "
                                + context.counter("dogstatsd.read_pauses") + " pauses, drops "
                                + context.counter("dogstatsd.dropped"));
            } finally {
                release.countDown();
                receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
            assertEquals(101, context.counter("dogstatsd.packets", "listener:udp"));
            assertEquals(1 + 100 * 14, context.counter("dogstatsd.messages", "listener:udp"));
            assertEquals(0, context.counter("dogstatsd.dropped", "reason:queue_full"));
            assertTrue(context.counter("dogstatsd.read_pauses") >= 1);
        }
    }

    @Test
    void packetsBeyondTheQueueAreDroppedAndCounted() {
        try (TestPluginContext context = TestPluginContext.create()) {
            // A queue of 2 x 512 bytes holds two packets of 400 bytes; the worker is not started, so none drains.
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of("queue-size", "2", "buffer-size", "512",
                    "port", "0")), context);
            io.netty.buffer.ByteBuf packet = io.netty.buffer.Unpooled.copiedBuffer("x:1|c\n".repeat(66) + "y:1|c\n",
                    StandardCharsets.UTF_8);
            assertEquals(402, packet.readableBytes());
            try {
                for (int i = 0; i < 5; i++) {
                    receiver.packet(io.pilotfish.collector.dogstatsd.listen.Transport.UDP, packet, false, "");
                }
            } finally {
                packet.release();
                receiver.close();
            }
            assertEquals(5, context.counter("dogstatsd.packets", "listener:udp"));
            assertEquals(3, context.counter("dogstatsd.dropped", "reason:queue_full"));
            assertTrue(context.log().lines().stream().anyMatch(l -> l.text().contains("queue-size")),
                    "the log names the key to raise: " + context.log().lines());
        }
    }

    // ---------------------------------------------------------------- what the Agent sends (issue 10)

    @Test
    void everyPointGoesOutWithTheTenSecondIntervalAndTheDogStatsdOrigin() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of()), "hits:1|c\nlevel:2|g\nusers:alice|s\n"
                    + "latency:3|ms\nsize:4|h\nbackfill:5|g|T1700000000\nbackfill.hits:6|c|T1700000000");

            assertEquals(new TreeSet<>(Set.of("hits", "level", "users", "latency.max", "latency.median",
                    "latency.avg", "latency.count", "latency.95percentile", "size.max", "size.median", "size.avg",
                    "size.count", "size.95percentile", "backfill", "backfill.hits")), out.metricNames());
            for (Metric point : out.metrics()) {
                assertEquals(10, point.intervalSeconds(), "the Agent sends every DogStatsD series with interval 10: "
                        + point);
                assertEquals(MetricOrigin.DOGSTATSD, point.origin(), point.toString());
            }
        }
    }

    @Test
    void countsHistogramsAndDistributionsWeighByTheInverseRateAboveOneTooAsTheAgentDoes() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of()), "hits:10|c|@2\nhits.sampled:10|c|@0.5\n"
                    + "latency:10|h|@0.5\nlatency:30|h|@2\nfast:10|ms|@2\nsize:10|d|@2\nsize.sampled:10|d|@0.5");

            assertEquals(0, context.counter("dogstatsd.parse_errors"), context.log().lines().toString());
            assertEquals(0.5, out.metric("hits").value(), 1e-9, "10 x 1/2 over 10 s");
            assertEquals(2.0, out.metric("hits.sampled").value(), 1e-9, "10 x 1/0.5 over 10 s");
            assertEquals(0.2, out.metric("latency.count").value(), 1e-9, "weights int(1/0.5) = 2 and int(1/2) = 0");
            assertEquals(17.5, out.metric("latency.avg").value(), 1e-9, "(10 x 2 + 30 x 0.5) / 2");
            assertEquals(30.0, out.metric("latency.max").value());
            assertEquals(10.0, out.metric("latency.median").value());
            assertEquals(10.0, out.metric("latency.95percentile").value());
            assertEquals(10.0, out.metric("fast.max").value());
            assertEquals(0.0, out.metric("fast.count").value());
            assertFalse(out.hasMetric("fast.avg") || out.hasMetric("fast.median") || out.hasMetric(
                    "fast.95percentile"), "nothing weighs: " + out.metricNames());
            Map<String, Sketch> sketches = new HashMap<>();
            out.ofType(Sketch.class).forEach(sketch -> sketches.put(sketch.name(), sketch));
            assertEquals(1, sketches.get("size").count(), "a distribution takes a rate above 1 as 1");
            assertEquals(10, sketches.get("size").sum(), 1e-9);
            assertEquals(2, sketches.get("size.sampled").count());
            assertEquals(20, sketches.get("size.sampled").sum(), 1e-9);
        }
    }

    @Test
    void aRateThatCannotWeighItsTypeIsRefusedAndCountedAndAnyOtherNumberIsTaken() throws Exception {
        try (TestPluginContext context = TestPluginContext.create()) {
            CollectingEmitter out = run(context, config(Map.of()), "level:7|g|@0\nhits:1|c|@0\nsize:3|d|@-1\n"
                    + "latency:1|h|@-0.5\nusers:alice|s|@half\nhits:2|c");

            assertEquals(7.0, out.metric("level").value(), "a gauge ignores its rate");
            assertEquals(1, out.ofType(Sketch.class).get(0).count(), "a distribution takes -1 as 1");
            assertEquals(0.2, out.metric("hits").value(), 1e-9, "only the count without @0");
            assertFalse(out.hasMetric("latency.max"), out.metricNames().toString());
            assertFalse(out.hasMetric("users"), out.metricNames().toString());
            assertEquals(3, context.counter("dogstatsd.parse_errors", "reason:bad_sample_rate"));
        }
    }

    // ---------------------------------------------------------------- health

    @Test
    void everySocketItListensOnIsReportedWithItsAddress() throws Exception {
        assumeTrue(Epoll.isAvailable(), "Unix sockets need epoll");
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "dsd");
        Path socket = dir.resolve("d.sock");
        Path streamSocket = dir.resolve("s.sock");
        try (TestPluginContext context = TestPluginContext.create()) {
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of("socket", socket.toString(),
                    "stream-socket", streamSocket.toString())), context);
            receiver.start(new CollectingEmitter()).toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                PluginState.View health = context.healthView();
                assertEquals(List.of(new PluginState.Endpoint("udp", "127.0.0.1:" + receiver.udpPort()),
                        new PluginState.Endpoint("unixgram", socket.toString()),
                        new PluginState.Endpoint("unix", streamSocket.toString())), health.listening());
                assertTrue(health.degraded().isEmpty(), health.toString());
            } finally {
                receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(streamSocket);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aSocketThatCannotBindShowsAsDegradedWhileUdpKeepsReceiving() throws Exception {
        assumeTrue(Epoll.isAvailable(), "Unix sockets need epoll");
        Path missing = Path.of("/tmp", "pilotfish-no-such-dir-" + System.nanoTime());
        try (TestPluginContext context = TestPluginContext.builder().quietLog().build()) {
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of("socket",
                    missing.resolve("dsd.socket").toString())), context);
            CollectingEmitter out = new CollectingEmitter();
            receiver.start(out).toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                PluginState.View health = context.healthView();
                assertEquals(List.of(new PluginState.Endpoint("udp", "127.0.0.1:" + receiver.udpPort())),
                        health.listening());
                String degraded = health.degraded().orElseThrow();
                assertTrue(degraded.contains(missing + " does not exist") && degraded.contains("DD_DOGSTATSD_SOCKET"),
                        degraded);
                send(receiver.udpPort(), "still.works:1|c");
                await("the UDP packet", () -> context.counter("dogstatsd.messages") >= 1);
            } finally {
                receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
            assertEquals(0.1, out.metric("still.works").value(), 1e-9);
        }
    }

    @Test
    void aParsingWorkerThatStopsShowsAsDegraded() throws Exception {
        try (TestPluginContext context = TestPluginContext.builder().quietLog().build()) {
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of()), context);
            Emitter broken = signal -> {
                throw new IllegalStateException("a broken pipeline");
            };
            receiver.start(broken).toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                send(receiver.udpPort(), "backfill:1|g|T1700000000"); // emitted while parsed: the emitter throws
                await("health to show the stopped worker", () -> context.healthView().degraded().isPresent());
                assertTrue(context.healthView().degraded().orElseThrow().contains("parsing worker stopped"),
                        context.healthView().toString());
            } finally {
                receiver.stop().toCompletableFuture().handle((ok, error) -> null).get(5, TimeUnit.SECONDS);
            }
        }
    }

    // ---------------------------------------------------------------- the first flush and the task metadata

    /** The testkit's scripted metadata, except that the first refresh answers only when the test calls answer. */
    private static final class LateMetadata implements TaskMetadataSource {
        private final TestMetadataSource source = new TestMetadataSource(Clock.systemUTC());
        private final CompletableFuture<TaskSnapshot> firstRefresh = new CompletableFuture<>();

        void answer(byte[] taskJson) {
            source.task(taskJson);
            firstRefresh.complete(source.current().orElseThrow());
        }

        @Override
        public boolean available() {
            return true;
        }

        @Override
        public Optional<TaskSnapshot> current() {
            return source.current();
        }

        @Override
        public CompletionStage<TaskSnapshot> refresh() {
            return firstRefresh.isDone() ? source.refresh() : firstRefresh.minimalCompletionStage();
        }

        @Override
        public CompletionStage<byte[]> get(String path) {
            return source.get(path);
        }

        @Override
        public void onChange(Consumer<TaskSnapshot> listener) {
            source.onChange(listener);
        }
    }

    /** Eight seconds into a bucket: it closes two seconds after start, three before the wait for metadata ends. */
    private static TestPluginContext lateInTheBucket(TaskMetadataSource metadata) {
        return TestPluginContext.builder().metadata(metadata).startAt(TestPluginContext.DEFAULT_START.plusSeconds(8))
                .quietLog().build();
    }

    /**
     * Sends two packets after the first bucket has closed, each once the one before is parsed: by then the worker
     * has passed its flush check after the first, so whatever it was going to flush is out.
     */
    private static void letTheWorkerReachItsFlush(TestPluginContext context, int port) throws Exception {
        long parsed = context.counter("dogstatsd.messages");
        send(port, "probe.first:1|c");
        await("the first probe", () -> context.counter("dogstatsd.messages") >= parsed + 1);
        send(port, "probe.second:1|c");
        await("the second probe", () -> context.counter("dogstatsd.messages") >= parsed + 2);
    }

    @Test
    void theFirstBucketWaitsForLateTaskMetadataAndCarriesTheTaskAndContainerTags() throws Exception {
        EcsMetadataSimulator task = EcsMetadataSimulator.builder(TaskSpec.fargateDemoTask()).build();
        LateMetadata metadata = new LateMetadata();
        try (TestPluginContext context = lateInTheBucket(metadata)) {
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of()), context);
            CollectingEmitter out = new CollectingEmitter();
            receiver.start(out).toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                send(receiver.udpPort(), "early.hits:1|c|#k:v\nearly.hits:1|c|#k:v\nearly.app:1|c|c:ci-"
                        + task.dockerId("app") + "\nearly.level:3|g\n_e{5,4}:early|text");
                await("the early messages", () -> context.counter("dogstatsd.messages") >= 5);
                context.advance(Duration.ofSeconds(3)); // the first bucket has closed
                letTheWorkerReachItsFlush(context, receiver.udpPort());
                assertEquals(List.of(), out.all(), "nothing goes out before the task metadata answers");

                metadata.answer(task.taskJson());
                await("the first bucket", () -> out.hasMetric("early.hits"));
            } finally {
                receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
            List<Metric> firstBucket = out.metrics().stream().filter(point -> point.timestamp() == BUCKET).toList();
            Metric hits = firstBucket.stream().filter(point -> point.name().equals("early.hits")).findFirst()
                    .orElseThrow();
            assertEquals(1, firstBucket.stream().filter(point -> point.name().equals("early.hits")).count(),
                    "one point for both samples, not one without the task's tags: " + firstBucket);
            assertEquals(0.2, hits.value(), 1e-9);
            assertTrue(hits.tags().containsAll(List.of("k:v", "cluster_name:demo", "task_family:shop")),
                    hits.tags().toString());
            Metric app = out.metrics("early.app").get(0);
            assertTrue(app.tags().containsAll(List.of("ecs_container_name:app", "cluster_name:demo")),
                    app.tags().toString());
            assertTrue(out.metric("early.level").tags().contains("cluster_name:demo"));
            assertTrue(out.events().get(0).tags().contains("cluster_name:demo"), out.events().toString());
            Metric probe = out.metrics("probe.first").get(0);
            assertTrue(probe.tags().contains("cluster_name:demo"), "what arrived while the flush waited is tagged "
                    + "too: " + probe);
        }
    }

    @Test
    void theFirstFlushWaitsNoLongerThanFiveSecondsForMetadataThatNeverAnswers() throws Exception {
        try (TestPluginContext context = lateInTheBucket(new LateMetadata())) {
            DogStatsdReceiver receiver = new DogStatsdReceiver(config(Map.of()), context);
            CollectingEmitter out = new CollectingEmitter();
            receiver.start(out).toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                send(receiver.udpPort(), "quiet:1|c|#k:v");
                await("the first message", () -> context.counter("dogstatsd.messages") >= 1);
                context.advance(Duration.ofSeconds(3)); // the first bucket has closed, 3 s after start
                letTheWorkerReachItsFlush(context, receiver.udpPort());
                assertTrue(out.metrics().isEmpty(), "still waiting for the metadata: " + out.metrics());

                context.advance(Duration.ofSeconds(2)); // 5 s after start
                await("the first bucket once the wait is over", () -> out.hasMetric("quiet"));
                assertEquals(TagSet.of("k:v"), out.metrics("quiet").get(0).tags(), "no task tags are known");
                assertTrue(context.log().lines().stream().anyMatch(line -> line.text().contains("within 5 s")),
                        context.log().lines().toString());
            } finally {
                receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aStartThatFailsWhileTheMetadataIsAwaitedDoesNotClaimTheWaitIsOver() throws Exception {
        // The one listener cannot bind for a reason no retry can clear (a taken port would be retried instead).
        DogStatsdConfig base = config(Map.of());
        DogStatsdConfig unknownHost = new DogStatsdConfig("no-such-host.invalid", base.port(), base.socket(),
                base.streamSocket(), base.bufferSize(), base.receiveBuffer(), base.queueSize(), base.tagCardinality(),
                base.originDetection(), base.aggregation(), base.extraTags());
        try (TestPluginContext context = lateInTheBucket(new LateMetadata())) {
            DogStatsdReceiver receiver = new DogStatsdReceiver(unknownHost, context);
            CompletableFuture<Void> started = receiver.start(new CollectingEmitter()).toCompletableFuture();
            assertThrows(java.util.concurrent.ExecutionException.class, () -> started.get(5, TimeUnit.SECONDS));
            receiver.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertTrue(context.log().lines().stream().noneMatch(line -> line.text().contains("task metadata")),
                    "nothing was received and the wait was not over: " + context.log().lines());
        }
    }
}
