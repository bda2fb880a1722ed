package io.pilotfish.collector.apm.receive;

import io.pilotfish.collector.apm.ApmConfig;
import io.pilotfish.collector.apm.decode.DecodedTracerPayload;
import io.pilotfish.collector.apm.decode.DecodedTraces;
import io.pilotfish.collector.apm.decode.TraceDecodeException;
import io.pilotfish.collector.apm.decode.TraceDecoder;
import io.pilotfish.collector.apm.normalize.SpanFlags;
import io.pilotfish.collector.apm.normalize.SpanTruncator;
import io.pilotfish.collector.apm.normalize.TraceNormalizer;
import io.pilotfish.collector.apm.obfuscate.TraceObfuscator;
import io.pilotfish.collector.apm.sample.RatesResponse;
import io.pilotfish.collector.apm.sample.SamplingConfig;
import io.pilotfish.collector.apm.sample.TraceSampler;
import io.pilotfish.collector.apm.stats.ClientStats;
import io.pilotfish.collector.apm.stats.ClientStatsAggregator;
import io.pilotfish.collector.apm.stats.ClientStatsDecoder;
import io.pilotfish.collector.apm.stats.Concentrator;
import io.pilotfish.collector.apm.stats.StatsClock;
import io.pilotfish.collector.apm.stats.StatsConfig;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.spi.trace.ApmStats;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The trace-agent's HTTP API for tracers, on Vert.x (its own event loop: the SPI hands plugins no Vert.x): every trace
 * version, tracer-computed stats, {@code /info} and the intake proxies, on TCP (8126) and a Unix socket.
 *
 * <p>Memory is bounded by two budgets. A request reserves its body's bytes ({@code Content-Length}, at most
 * {@code max-payload-bytes}: over it, 413 before anything is read) from {@code decoders × max-payload-bytes} before
 * its body is read, and takes a decoder once the body is all in, to decode (at most {@code max-decoded-bytes}) and
 * process it. A request that cannot have either within the decoder timeout gets 429, as the Agent answers, and one
 * whose body has not arrived within the receiver timeout gets 408; both close the connection so that nothing more of
 * them is read. A slow client therefore holds its body's bytes, never a decoder (the Agent holds a decoder while it
 * reads). Decoding and processing run on the decoder threads, never on the event loop.
 */
public final class ApmReceiver implements Receiver {

    private static final String THREAD_PREFIX = "pilotfish-apm";
    private static final int MAX_WAITERS = 1024;
    private static final int INITIAL_BODY_BYTES = 64 * 1024;
    private static final long STATS_FLUSH_SECONDS = 10;
    private static final long CLIENT_STATS_FLUSH_SECONDS = 2;
    private static final int STATSD_PORT = 8125;
    private static final java.time.Duration QUEUE_WAIT = java.time.Duration.ofSeconds(2);
    /** Chunks handed to the sinks between two waits for their queue's room. */
    private static final int EMIT_SLICE = 32;
    private static final byte[] OK = "OK\n".getBytes(StandardCharsets.UTF_8);
    static final String HEADER_CONTAINER_TAGS = "_dd.tags.container";
    /** Profiles, telemetry and debugger payloads: tracers upload profiles of a few MB at most. */
    public static final long PROXY_MAX_BYTES = 10L * 1024 * 1024;

    /** What the receiver serves, and how each path's requests are read. */
    enum Endpoint {
        V02_TRACES("v0.2"), V03_TRACES("v0.3"), V04_TRACES("v0.4"), V05_TRACES("v0.5"), V07_TRACES("v0.7"),
        STATS("v0.6_stats"), PROXY("proxy");

        final String tag;

        Endpoint(String tag) {
            this.tag = tag;
        }
    }

    private final ApmConfig config;
    private final PluginContext context;
    private final ApmTelemetry telemetry;
    private final List<HttpServer> servers = new ArrayList<>();
    private final ThreadLocal<TraceDecoder> traceDecoders;
    private final ThreadLocal<ClientStatsDecoder> statsDecoders;
    private volatile Emitter emitter;
    private Vertx vertx;
    private Context eventLoop;
    private ExecutorService decoderPool;
    private WaitingBudget bodyBytes;
    private WaitingBudget decoders;
    private WaitingBudget proxyBodyBytes;
    private TraceSampler sampler;
    private TraceObfuscator obfuscator;
    private Concentrator concentrator;
    private ClientStatsAggregator clientStats;
    private TraceProcessor processor;
    private IntakeProxy proxy;
    private InfoDocument info;
    private String agentEnv;
    private String version;
    private ScheduledFuture<?> statsFlush;
    private ScheduledFuture<?> clientStatsFlush;
    private volatile boolean stopping;

    public ApmReceiver(ApmConfig config, PluginContext context) {
        this.config = config;
        this.context = context;
        this.telemetry = new ApmTelemetry(context.telemetry());
        this.traceDecoders = ThreadLocal.withInitial(() -> new TraceDecoder(config.maxDecodedBytes()));
        this.statsDecoders = ThreadLocal.withInitial(() -> new ClientStatsDecoder(config.maxDecodedBytes()));
    }

    @Override
    public CompletionStage<Void> start(Emitter emitter) {
        this.emitter = emitter;
        version = context.agent().version();
        agentEnv = config.env().orElseGet(() -> {
            TagSet global = context.agent().globalTags();
            String tagged = global == null ? null : global.valueOf("env");
            return tagged == null || tagged.isEmpty() ? SamplingConfig.DEFAULT_ENV : tagged;
        });
        String hostname = context.agent().hostname() == null ? "" : context.agent().hostname();
        for (String note : config.obfuscation().unhonouredSettings()) {
            context.log().warn("apm-settings", note);
        }
        for (String note : config.filters().warnings()) {
            context.log().warn("apm-settings", note);
        }
        SamplingConfig sampling = config.sampling(agentEnv);
        sampler = new TraceSampler(sampling);
        obfuscator = new TraceObfuscator(config.obfuscation());
        StatsConfig statsConfig = StatsConfig.defaults(agentEnv, hostname)
                .withPeerTagsAggregation(config.peerTagsAggregation(), config.extraPeerTags())
                .withComputeStatsBySpanKind(config.computeStatsBySpanKind())
                .withMaxHeapBytes(config.statsMaxBytes());
        concentrator = new Concentrator(statsConfig, StatsClock.system(), new SplittableRandom());
        clientStats = new ClientStatsAggregator(StatsClock.system(), config.clientStatsMaxBytes());
        processor = new TraceProcessor(new TraceNormalizer(), config.filters(), obfuscator, new SpanTruncator(),
                concentrator, sampler, agentEnv, hostname);
        proxy = new IntakeProxy(context.httpClient(), context.agent(), config.intake(), agentEnv, isFargate());
        info = InfoDocument.build(version, endpoints(), config, sampling, agentEnv, STATSD_PORT,
                statsConfig.peerTagKeys(), config.filters().describe());

        // No file cache and no class-path resolving: ECS's read-only root has no writable /tmp for them, and the
        // receiver serves no files.
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1).setPreferNativeTransport(true)
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false))
                .setBlockedThreadCheckInterval(10).setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
        eventLoop = vertx.getOrCreateContext();
        bodyBytes = new WaitingBudget(vertx, config.decoders() * config.maxPayloadBytes(), MAX_WAITERS);
        decoders = new WaitingBudget(vertx, config.decoders(), MAX_WAITERS);
        // A proxied request holds its body until the intake answers (up to its timeout): it has a budget of its own,
        // so that a slow intake never keeps traces waiting.
        proxyBodyBytes = new WaitingBudget(vertx, PROXY_MAX_BYTES, MAX_WAITERS);
        // Proxied requests are sent from here too (their answers come back asynchronously): one thread more.
        decoderPool = Executors.newFixedThreadPool(config.decoders() + 1, daemonThreads(THREAD_PREFIX + "-decoder-"));
        context.telemetry().gauge("apm.decoders.busy", decoders::inUse);
        context.telemetry().gauge("apm.decoders.waiting", decoders::waiting);
        context.telemetry().gauge("apm.body_bytes", bodyBytes::inUse);

        statsFlush = context.scheduler().scheduleAtFixedRate(() -> flushStats(false), STATS_FLUSH_SECONDS,
                STATS_FLUSH_SECONDS, TimeUnit.SECONDS);
        clientStatsFlush = context.scheduler().scheduleAtFixedRate(() -> flushClientStats(false),
                CLIENT_STATS_FLUSH_SECONDS, CLIENT_STATS_FLUSH_SECONDS, TimeUnit.SECONDS);

        CompletableFuture<Void> started = new CompletableFuture<>();
        eventLoop.runOnContext(v -> listen().onComplete(done -> {
            if (done.succeeded()) {
                started.complete(null);
            } else {
                started.completeExceptionally(done.cause());
            }
        }));
        return started;
    }

    private Future<Void> listen() {
        List<Future<?>> binds = new ArrayList<>();
        if (config.port() > 0) {
            HttpServer tcp = vertx.createHttpServer(serverOptions()).requestHandler(this::handle);
            servers.add(tcp);
            binds.add(tcp.listen(config.port(), config.host()).onSuccess(s -> {
                String address = config.host() + ":" + s.actualPort();
                context.log().info("APM receiver listening on tcp " + address);
                context.health().listening("tcp", address);
            }).recover(e -> Future.failedFuture(new IOException("the APM receiver cannot listen on " + config.host()
                    + ":" + config.port() + " (" + e.getMessage() + "); another process may hold the port: set "
                    + "DD_APM_RECEIVER_PORT (pilotfish.collectors.apm.port) to a free one", e))));
        }
        Optional<Path> socket = config.socket();
        if (socket.isPresent()) {
            Path path = socket.get();
            Path dir = path.getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                // The Agent serves its default socket only where its directory exists (a mounted volume).
                context.log().info("APM receiver: no Unix socket, as " + dir + " does not exist (mount a volume "
                        + "there, or set DD_APM_RECEIVER_SOCKET)");
            } else if (!vertx.isNativeTransportEnabled()) {
                context.health().degraded("the APM Unix socket " + path + " needs the epoll transport, which did not "
                        + "load: " + vertx.unavailableNativeTransportCause());
            } else {
                try {
                    Files.deleteIfExists(path); // a socket left by a killed agent
                } catch (IOException e) {
                    context.log().warn("apm-socket", "cannot remove the old socket " + path + ": " + e.getMessage());
                }
                HttpServer unix = vertx.createHttpServer(serverOptions()).requestHandler(this::handle);
                servers.add(unix);
                binds.add(unix.listen(SocketAddress.domainSocketAddress(path.toString())).onSuccess(s -> {
                    try {
                        // Any local user may write to it, as the Agent's (0722): tracers run as other users.
                        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx-w--w-"));
                    } catch (IOException | UnsupportedOperationException e) {
                        context.log().warn("apm-socket", "cannot open " + path + " to other users: " + e.getMessage());
                    }
                    context.log().info("APM receiver listening on unix " + path);
                    context.health().listening("unix", path.toString());
                }).recover(e -> {
                    context.health().degraded("the APM receiver cannot listen on " + path + ": " + e.getMessage()
                            + " (check that the directory is writable by this user, or set DD_APM_RECEIVER_SOCKET)");
                    return Future.succeededFuture();
                }));
            }
        }
        return Future.all(binds).mapEmpty();
    }

    private HttpServerOptions serverOptions() {
        // HTTP/1.1 only, as the Agent's receiver: no h2c upgrade.
        return new HttpServerOptions().setHttp2ClearTextEnabled(false).setHandle100ContinueAutomatically(false)
                .setDecompressionSupported(false)
                .setIdleTimeout(120).setIdleTimeoutUnit(TimeUnit.SECONDS).setMaxHeaderSize(64 * 1024)
                .setTcpNoDelay(true);
    }

    private List<String> endpoints() {
        List<String> out = new ArrayList<>(List.of("/v0.3/traces", "/v0.3/services", "/v0.4/traces",
                "/v0.4/services", "/v0.5/traces", "/v0.7/traces", "/profiling/v1/input"));
        if (config.intake().telemetryEnabled()) {
            out.add("/telemetry/proxy/");
        }
        out.addAll(List.of("/v0.6/stats", "/evp_proxy/v1/", "/evp_proxy/v2/", "/evp_proxy/v3/", "/evp_proxy/v4/",
                "/debugger/v1/input", "/debugger/v1/diagnostics", "/debugger/v2/input"));
        return out;
    }

    private boolean isFargate() {
        try {
            return context.metadata().current().map(s -> "FARGATE".equalsIgnoreCase(s.task().launchType()))
                    .orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ routing (event loop)

    private void handle(HttpServerRequest req) {
        HttpServerResponse resp = req.response();
        resp.putHeader("Datadog-Agent-Version", version);
        resp.putHeader("Datadog-Agent-State", info.state());
        if ("cross-site".equalsIgnoreCase(req.getHeader("Sec-Fetch-Site"))) {
            discard(req, 403, "cross-site requests are not accepted");
            return;
        }
        String path = req.path();
        switch (path) {
            case "/info" -> {
                resp.putHeader("Content-Type", "application/json");
                discard(req, 200, info.body());
            }
            case "/v0.3/traces" -> new Exchange(req, Endpoint.V03_TRACES, null).begin();
            case "/v0.4/traces" -> new Exchange(req, Endpoint.V04_TRACES, null).begin();
            case "/v0.5/traces" -> new Exchange(req, Endpoint.V05_TRACES, null).begin();
            case "/v0.7/traces" -> new Exchange(req, Endpoint.V07_TRACES, null).begin();
            case "/v0.2/traces" -> {
                if (mediaType(req).equals("application/msgpack")) {
                    discard(req, 415, "msgpack is not supported on this endpoint: use /v0.4/traces");
                } else {
                    new Exchange(req, Endpoint.V02_TRACES, null).begin();
                }
            }
            case "/services", "/v0.1/services", "/v0.2/services", "/v0.3/services", "/v0.4/services" ->
                    discard(req, 200, OK); // services are no longer sent on; the Agent answers OK
            case "/v0.6/stats" -> new Exchange(req, Endpoint.STATS, null).begin();
            case "/profiling/v1/input" -> new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.PROFILING).begin();
            case "/debugger/v1/input" -> new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.DEBUGGER_LOGS).begin();
            case "/debugger/v1/diagnostics", "/debugger/v2/input" ->
                    new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.DEBUGGER_INTAKE).begin();
            default -> {
                if (path.startsWith("/telemetry/proxy/") && config.intake().telemetryEnabled()) {
                    new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.TELEMETRY).begin();
                } else if (path.matches("/evp_proxy/v[1-4]/.*")) {
                    new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.EVP).begin();
                } else {
                    discard(req, 404, "404 page not found");
                }
            }
        }
    }

    /** Answers without keeping the body: what arrives of it is read and thrown away. */
    private static void discard(HttpServerRequest req, int status, String message) {
        discard(req, status, (message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void discard(HttpServerRequest req, int status, byte[] body) {
        req.handler(ignored -> { });
        req.exceptionHandler(ignored -> { });
        req.endHandler(v -> {
            if (!req.response().ended()) {
                req.response().setStatusCode(status).end(Buffer.buffer(body));
            }
        });
        if (req.isEnded()) {
            req.response().setStatusCode(status).end(Buffer.buffer(body));
        }
    }

    private static String mediaType(HttpServerRequest req) {
        String type = req.getHeader("Content-Type");
        if (type == null) {
            return "";
        }
        int semicolon = type.indexOf(';');
        return (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    // ------------------------------------------------------------------ one request

    /**
     * One request from its headers to its answer: its body's bytes reserved and read, a decoder taken once the body is
     * all in (so that a client trickling its body holds memory, never a decoder), then the work off the loop.
     */
    private final class Exchange {

        private final HttpServerRequest req;
        private final Endpoint endpoint;
        private final IntakeProxy.Route route;
        private final WaitingBudget bodies;
        private final long maxBytes;
        private long timer = -1;
        private long reserved;
        private boolean decoderHeld;
        private boolean working;
        private boolean answered;
        private byte[] body;
        private int length;

        Exchange(HttpServerRequest req, Endpoint endpoint, IntakeProxy.Route route) {
            this.req = req;
            this.endpoint = endpoint;
            this.route = route;
            this.bodies = endpoint == Endpoint.PROXY ? proxyBodyBytes : bodyBytes;
            this.maxBytes = endpoint == Endpoint.PROXY ? PROXY_MAX_BYTES : config.maxPayloadBytes();
        }

        void begin() {
            long declared = -1;
            String contentLength = req.getHeader("Content-Length");
            if (contentLength != null) {
                try {
                    declared = Long.parseLong(contentLength.trim());
                } catch (NumberFormatException e) {
                    fail(400, "bad_content_length", "Content-Length is not a number");
                    return;
                }
            }
            if (declared > maxBytes) {
                fail(413, "payload_too_large", "request body of " + declared + " bytes is over the limit of "
                        + maxBytes);
                return;
            }
            long initial = declared >= 0 ? declared : Math.min(INITIAL_BODY_BYTES, maxBytes);
            req.pause();
            req.exceptionHandler(e -> abandon());
            timer = vertx.setTimer(config.receiverTimeout().toMillis(), id -> {
                timer = -1;
                if (!working && !answered) {
                    fail(408, "timeout", "the request body did not arrive within "
                            + config.receiverTimeout().toSeconds() + " s");
                }
            });
            bodies.acquire(initial, config.decoderTimeout().toMillis(), granted -> {
                if (answered) {
                    if (granted) {
                        bodies.release(initial);
                    }
                    return;
                }
                if (!granted) {
                    overloaded();
                    return;
                }
                reserved = initial;
                body = new byte[(int) initial];
                req.handler(this::append);
                req.endHandler(v -> bodyIn());
                if ("100-continue".equalsIgnoreCase(req.getHeader("Expect"))) {
                    req.response().writeContinue();
                }
                req.resume();
            });
        }

        private void append(Buffer chunk) {
            if (answered) {
                return;
            }
            int n = chunk.length();
            if ((long) length + n > maxBytes) {
                fail(413, "payload_too_large", "request body is over the limit of " + maxBytes + " bytes");
                return;
            }
            if (length + n > body.length) {
                // A body without Content-Length (chunked) grows: its memory must be free now, or it is refused.
                long grown = Math.min(Math.max((long) body.length * 2, (long) length + n), maxBytes);
                if (!bodies.tryAcquire(grown - reserved)) {
                    overloaded();
                    return;
                }
                reserved = grown;
                body = java.util.Arrays.copyOf(body, (int) grown);
            }
            chunk.getBytes(0, n, body, length);
            length += n;
        }

        private void bodyIn() {
            if (answered) {
                return;
            }
            working = true;
            cancelTimer();
            if (endpoint == Endpoint.PROXY) {
                work(); // forwarded as it is: no decoding
                return;
            }
            decoders.acquire(1, config.decoderTimeout().toMillis(), granted -> {
                if (answered) {
                    if (granted) {
                        decoders.release(1);
                    }
                    return;
                }
                if (!granted) {
                    overloaded();
                    return;
                }
                decoderHeld = true;
                work();
            });
        }

        private void work() {
            MultiMap headers = req.headers();
            Map<String, String> copied = new LinkedHashMap<>();
            for (Map.Entry<String, String> h : headers) {
                copied.putIfAbsent(h.getKey(), h.getValue());
            }
            String path = req.path();
            String query = req.query();
            String method = req.method().name();
            try {
                decoderPool.execute(() -> {
                    Answer answer;
                    try {
                        answer = work(copied, path, query, method);
                    } catch (RuntimeException | Error e) {
                        context.log().error("apm-internal", "processing a " + endpoint.tag + " payload failed", e);
                        telemetry.payloadError(endpoint.tag, "internal_error");
                        answer = Answer.text(500, "internal error");
                    }
                    if (answer.pending() != null) {
                        answer.pending().whenComplete((a, e) -> eventLoop.runOnContext(v -> reply(a == null
                                ? Answer.text(502, "proxy failed") : a)));
                    } else {
                        Answer done = answer;
                        eventLoop.runOnContext(v -> reply(done));
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                fail(503, "stopping", "the agent is stopping");
            }
        }

        private Answer work(Map<String, String> headers, String path, String query, String method) {
            return switch (endpoint) {
                case STATS -> stats(headers, body, length);
                case PROXY -> Answer.pending(proxy.forward(new IntakeProxy.Forward(route, path, query, method,
                        headers, body, length, containerId(headers), containerTags(containerId(headers))))
                        .thenApply(a -> {
                            telemetry.proxied(route.tag, a.status());
                            if (a.status() >= 500) {
                                telemetry.proxyError(route.tag, "status_" + a.status());
                            }
                            return new Answer(a.status(), a.contentType(), a.body(), Map.of(), false, null);
                        }));
                default -> traces(endpoint, headers, body, length);
            };
        }

        private void reply(Answer answer) {
            release();
            if (answered) {
                return;
            }
            answered = true;
            HttpServerResponse resp = req.response();
            resp.setStatusCode(answer.status());
            if (answer.contentType() != null) {
                resp.putHeader("Content-Type", answer.contentType());
            }
            answer.headers().forEach(resp::putHeader);
            if (answer.close()) {
                resp.putHeader("Connection", "close");
                resp.end(Buffer.buffer(answer.body())).onComplete(v -> req.connection().close());
            } else {
                resp.end(Buffer.buffer(answer.body()));
            }
        }

        private void overloaded() {
            telemetry.payloadError(endpoint.tag, "overloaded");
            Answer answer = isTraceEndpoint(endpoint) && endpoint != Endpoint.V02_TRACES
                    && endpoint != Endpoint.V03_TRACES ? rates(req.getHeader(TraceSampler.ratesVersionHeader()), 429)
                    : Answer.text(429, "too many payloads at once: retry later");
            reply(answer.closing());
        }

        private void fail(int status, String reason, String message) {
            telemetry.payloadError(endpoint.tag, reason);
            reply(Answer.text(status, message).closing());
        }

        /** The client went away: free what it held. */
        private void abandon() {
            if (!working && !answered) {
                telemetry.payloadError(endpoint.tag, "connection_closed");
                answered = true;
                release();
            }
        }

        /** Frees the body's bytes and the decoder; the work, if any, has finished with them. */
        private void release() {
            cancelTimer();
            if (decoderHeld) {
                decoderHeld = false;
                decoders.release(1);
            }
            if (reserved > 0) {
                bodies.release(reserved);
                reserved = 0;
            }
            body = null;
        }

        private void cancelTimer() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
    }

    private static boolean isTraceEndpoint(Endpoint endpoint) {
        return endpoint != Endpoint.STATS && endpoint != Endpoint.PROXY;
    }

    /** An answer, or one still to come from the intake (proxies). */
    record Answer(int status, String contentType, byte[] body, Map<String, String> headers, boolean close,
                  CompletionStage<Answer> pending) {

        static Answer text(int status, String message) {
            return new Answer(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8),
                    Map.of(), false, null);
        }

        static Answer pending(CompletionStage<Answer> later) {
            return new Answer(0, null, new byte[0], Map.of(), false, later);
        }

        Answer closing() {
            return new Answer(status, contentType, body, headers, true, pending);
        }
    }

    // ------------------------------------------------------------------ the work (decoder threads)

    private Answer traces(Endpoint endpoint, Map<String, String> headers, byte[] body, int length) {
        String lang = header(headers, "Datadog-Meta-Lang");
        String containerId = containerId(headers);
        List<String> containerTags = containerTags(containerId);
        Map<String, String> tracerTags = containerTags.isEmpty() ? Map.of()
                : Map.of(HEADER_CONTAINER_TAGS, String.join(",", containerTags));
        TracerInfo fromHeaders = new TracerInfo(containerId, lang, header(headers, "Datadog-Meta-Lang-Version"),
                header(headers, "Datadog-Meta-Tracer-Version"), "", tracerTags, "", "", "");
        TraceDecoder decoder = traceDecoders.get();
        List<TraceChunk> chunks;
        TracerInfo tracer;
        int traceCount;
        int spanCount;
        try {
            switch (endpoint) {
                case V07_TRACES -> {
                    DecodedTracerPayload payload = decoder.decodeV07(body, 0, length);
                    tracer = enrich(payload.tracer(), fromHeaders, tracerTags);
                    chunks = payload.toChunks(tracer);
                    traceCount = payload.chunks().size();
                    spanCount = payload.spanCount();
                }
                case V05_TRACES -> {
                    DecodedTraces decoded = decoder.decodeV05(body, 0, length);
                    tracer = fromHeaders;
                    chunks = decoded.toChunks(tracer);
                    traceCount = decoded.traces().size();
                    spanCount = decoded.spanCount();
                }
                default -> {
                    DecodedTraces decoded = decodeV03V04(decoder, header(headers, "Content-Type"), body, length);
                    tracer = fromHeaders;
                    chunks = decoded.toChunks(tracer);
                    traceCount = decoded.traces().size();
                    spanCount = decoded.spanCount();
                }
            }
        } catch (TraceDecodeException e) {
            telemetry.payloadError(endpoint.tag, e.reason().tag());
            boolean tooLarge = e.reason() == TraceDecodeException.Reason.TOO_LARGE;
            return Answer.text(tooLarge ? 413 : 400, e.reason().tag() + ": " + e.getMessage());
        }
        telemetry.received(endpoint.tag, lang, traceCount, spanCount, length);
        long droppedP0Traces = parseCount(header(headers, "Datadog-Client-Dropped-P0-Traces"));
        telemetry.clientDropped(droppedP0Traces, parseCount(header(headers, "Datadog-Client-Dropped-P0-Spans")));
        TraceProcessor.PayloadContext request = new TraceProcessor.PayloadContext(lang, containerId, containerTags,
                SpanFlags.headerSaysYes(header(headers, "Datadog-Client-Computed-Top-Level")),
                !header(headers, "Datadog-Client-Computed-Stats").isEmpty(), droppedP0Traces);
        TraceProcessor.Outcome outcome = processor.process(chunks, tracer, request);
        telemetry.normalization(outcome.normalization());
        outcome.filteredSpans().forEach((reason, spans) -> telemetry.dropped(reason, 0, spans));
        telemetry.sampled(chunks.size() - outcome.tracesDropped(), outcome.tracesDropped());
        Emitter out = emitter;
        List<TraceChunk> kept = outcome.kept();
        if (out != null && !kept.isEmpty()) {
            // On a decoder thread: waiting here for the sinks' queue (while they succeed) holds the decoder, so that
            // under more load than the intake takes, tracers get 429 and keep their payload, instead of the agent
            // taking it in only to drop it. In slices: a whole payload at once would push out what the queue holds.
            long deadline = System.nanoTime() + QUEUE_WAIT.toNanos();
            for (int from = 0; from < kept.size(); from += EMIT_SLICE) {
                long left = Math.max(0, deadline - System.nanoTime());
                out.awaitCapacity(java.time.Duration.ofNanos(left));
                out.emitAll(kept.subList(from, Math.min(kept.size(), from + EMIT_SLICE)));
            }
            telemetry.chunksSent(kept.size());
        }
        if (endpoint == Endpoint.V02_TRACES || endpoint == Endpoint.V03_TRACES) {
            return new Answer(200, "text/plain; charset=utf-8", OK, Map.of(), false, null);
        }
        return rates(headerOrNull(headers, TraceSampler.ratesVersionHeader()), 200);
    }

    private static DecodedTraces decodeV03V04(TraceDecoder decoder, String contentType, byte[] body, int length)
            throws TraceDecodeException {
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim()
                .toLowerCase(Locale.ROOT);
        return switch (type) {
            case "application/msgpack" -> decoder.decodeMsgpackTraces(body, 0, length);
            case "application/json", "text/json", "" -> decoder.decodeJsonTraces(body, 0, length);
            default -> {
                // The Agent tries JSON, then msgpack, for a type it does not know.
                try {
                    yield decoder.decodeJsonTraces(body, 0, length);
                } catch (TraceDecodeException json) {
                    yield decoder.decodeMsgpackTraces(body, 0, length);
                }
            }
        };
    }

    private Answer rates(String requestVersion, int status) {
        RatesResponse rates = sampler.ratesResponse(requestVersion);
        Map<String, String> headers = rates.versionHeader() == null ? Map.of()
                : Map.of(TraceSampler.ratesVersionHeader(), rates.versionHeader());
        return new Answer(status, "application/json", rates.body(), headers, false, null);
    }

    private Answer stats(Map<String, String> headers, byte[] body, int length) {
        ApmStats decoded;
        try {
            decoded = statsDecoders.get().decode(body, 0, length);
        } catch (TraceDecodeException e) {
            telemetry.payloadError(Endpoint.STATS.tag, e.reason().tag());
            boolean tooLarge = e.reason() == TraceDecodeException.Reason.TOO_LARGE;
            return Answer.text(tooLarge ? 413 : 400, e.reason().tag() + ": " + e.getMessage());
        }
        String containerId = containerId(headers);
        ApmStats prepared = ClientStats.prepare(decoded, header(headers, "Datadog-Meta-Lang"),
                header(headers, "Datadog-Meta-Tracer-Version"), containerId, containerTags(containerId), agentEnv,
                true);
        clientStats.add(obfuscateResources(prepared));
        telemetry.statsPayload(decoded.buckets().size());
        return new Answer(200, null, new byte[0], Map.of(), false, null);
    }

    /** Tracers send raw SQL and Redis resources in their stats too; the Agent obfuscates them as span resources. */
    private ApmStats obfuscateResources(ApmStats in) {
        List<ApmStats.Bucket> buckets = new ArrayList<>(in.buckets().size());
        for (ApmStats.Bucket bucket : in.buckets()) {
            List<ApmStats.Group> groups = new ArrayList<>(bucket.groups().size());
            for (ApmStats.Group g : bucket.groups()) {
                String resource = obfuscator.obfuscateStatsResource(g.type(), g.resource());
                groups.add(resource.equals(g.resource()) ? g : new ApmStats.Group(g.service(), g.name(), resource,
                        g.httpStatusCode(), g.type(), g.dbType(), g.hits(), g.errors(), g.duration(), g.okSummary(),
                        g.errorSummary(), g.synthetics(), g.topLevelHits(), g.spanKind(), g.peerTags(),
                        g.isTraceRoot(), g.grpcStatusCode(), g.httpMethod(), g.httpEndpoint()));
            }
            buckets.add(new ApmStats.Bucket(bucket.start(), bucket.duration(), groups, bucket.agentTimeShift()));
        }
        return new ApmStats(in.hostname(), in.env(), in.version(), buckets, in.lang(), in.tracerVersion(),
                in.runtimeId(), in.sequence(), in.agentAggregation(), in.service(), in.containerId(), in.tags(),
                in.gitCommitSha(), in.imageTag(), in.clientComputed());
    }

    /** A v0.7 payload's own fields, with the container id from the headers when it has none and container tags. */
    private static TracerInfo enrich(TracerInfo sent, TracerInfo fromHeaders, Map<String, String> containerTags) {
        Map<String, String> tags = sent.tags();
        if (!containerTags.isEmpty()) {
            tags = new HashMap<>(sent.tags());
            tags.putAll(containerTags);
        }
        return new TracerInfo(sent.containerId().isEmpty() ? fromHeaders.containerId() : sent.containerId(),
                sent.languageName().isEmpty() ? fromHeaders.languageName() : sent.languageName(),
                sent.languageVersion().isEmpty() ? fromHeaders.languageVersion() : sent.languageVersion(),
                sent.tracerVersion().isEmpty() ? fromHeaders.tracerVersion() : sent.tracerVersion(),
                sent.runtimeId(), tags, sent.env(), sent.hostname(), sent.appVersion());
    }

    /** {@code Datadog-Container-ID}, else the container of {@code Datadog-Entity-ID} ({@code ci-}/{@code cid-}). */
    static String containerId(Map<String, String> headers) {
        String id = header(headers, "Datadog-Container-ID").trim();
        if (!id.isEmpty()) {
            return id;
        }
        for (String part : header(headers, "Datadog-Entity-ID").split(",")) {
            String p = part.trim();
            if (p.startsWith("cid-")) {
                return p.substring(4);
            }
            if (p.startsWith("ci-")) {
                return p.substring(3);
            }
        }
        return "";
    }

    /**
     * The container's tags, as the Agent tags its traces (high cardinality); without a container id, the task's
     * tags, so that traces from a tracer that could not read its container id still carry their task.
     */
    private List<String> containerTags(String containerId) {
        try {
            Optional<TaskSnapshot> snapshot = context.metadata().current();
            if (snapshot.isEmpty()) {
                return List.of();
            }
            TagSet tags = containerId.isEmpty() ? snapshot.get().taskTags(Cardinality.ORCHESTRATOR)
                    : snapshot.get().containerTags(containerId, Cardinality.HIGH);
            return tags.asList();
        } catch (RuntimeException e) {
            return List.of(); // a broken metadata source costs the tags, never the trace
        }
    }

    /** The header's value, "" when it was sent empty, null when it was not sent. */
    static String headerOrNull(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** The header's value, "" when it was not sent. */
    static String header(Map<String, String> headers, String name) {
        String value = headers.get(name);
        if (value != null) {
            return value;
        }
        value = headerOrNull(headers, name);
        return value == null ? "" : value;
    }

    private static long parseCount(String value) {
        try {
            return value.isEmpty() ? 0 : Math.max(0, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ------------------------------------------------------------------ stats flushes and stop

    private void flushStats(boolean force) {
        try {
            List<ApmStats> out = concentrator.flush(force);
            emit(out, "agent");
        } catch (RuntimeException e) {
            context.log().error("apm-stats", "flushing APM stats failed", e);
        }
    }

    private void flushClientStats(boolean force) {
        try {
            emit(clientStats.flush(force), "tracer");
        } catch (RuntimeException e) {
            context.log().error("apm-stats", "flushing tracer stats failed", e);
        }
    }

    private void emit(List<ApmStats> stats, String source) {
        Emitter out = emitter;
        if (out != null && !stats.isEmpty()) {
            out.emitAll(stats);
            telemetry.statsFlushed(source, stats.size());
        }
    }

    @Override
    public CompletionStage<Void> stop() {
        if (stopping) {
            return CompletableFuture.completedFuture(null);
        }
        stopping = true;
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        if (vertx == null) {
            stopped.complete(null);
            return stopped;
        }
        List<Future<Void>> closes = new ArrayList<>();
        for (HttpServer server : servers) {
            closes.add(server.close());
        }
        Future.join(closes).onComplete(closed -> {
            // Payloads already read finish their work; then what the tables hold is sent on.
            Thread finisher = new Thread(() -> {
                decoderPool.shutdown();
                try {
                    if (!decoderPool.awaitTermination(5, TimeUnit.SECONDS)) {
                        context.log().warn("apm-stop", "APM payloads still in work at shutdown were not finished");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (statsFlush != null) {
                    statsFlush.cancel(false);
                    clientStatsFlush.cancel(false);
                }
                flushStats(true);
                flushClientStats(true);
                config.socket().ifPresent(path -> {
                    try {
                        Files.deleteIfExists(path);
                    } catch (IOException ignored) {
                        // the next start replaces it
                    }
                });
                vertx.close().onComplete(v -> stopped.complete(null));
            }, THREAD_PREFIX + "-stop");
            finisher.setDaemon(true);
            finisher.start();
        });
        return stopped;
    }

    @Override
    public void close() {
        if (!stopping) {
            stop().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
