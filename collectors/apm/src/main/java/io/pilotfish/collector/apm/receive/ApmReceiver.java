package io.pilotfish.collector.apm.receive;

import io.pilotfish.collector.apm.ApmConfig;
import io.pilotfish.collector.apm.normalize.SpanTruncator;
import io.pilotfish.collector.apm.normalize.TraceNormalizer;
import io.pilotfish.collector.apm.obfuscate.TraceObfuscator;
import io.pilotfish.collector.apm.sample.SamplingConfig;
import io.pilotfish.collector.apm.sample.TraceSampler;
import io.pilotfish.collector.apm.stats.ClientStatsAggregator;
import io.pilotfish.collector.apm.stats.Concentrator;
import io.pilotfish.collector.apm.stats.StatsClock;
import io.pilotfish.collector.apm.stats.StatsConfig;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Receiver;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.spi.trace.ApmStats;
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
    private static final java.util.regex.Pattern EVP_PATHS = java.util.regex.Pattern.compile("/evp_proxy/v[1-4]/.*");
    private static final int INITIAL_BODY_BYTES = 64 * 1024;
    private static final long STATS_FLUSH_SECONDS = 10;
    private static final long CLIENT_STATS_FLUSH_SECONDS = 2;
    private static final int STATSD_PORT = 8125;
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
    private PayloadWork payloads;
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
        TraceProcessor processor = new TraceProcessor(new TraceNormalizer(), config.filters(), obfuscator,
                new SpanTruncator(), concentrator, sampler, agentEnv, hostname);
        payloads = new PayloadWork(config.maxDecodedBytes(), telemetry, processor, sampler, obfuscator, clientStats,
                context.metadata(), agentEnv, () -> emitter);
        proxy = new IntakeProxy(context.httpClient(), context.agent(), config.intake(), agentEnv, this::isFargate);
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
                    discard(req, 200, PayloadWork.OK); // services are no longer sent on; the Agent answers OK
            case "/v0.6/stats" -> new Exchange(req, Endpoint.STATS, null).begin();
            case "/profiling/v1/input" -> new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.PROFILING).begin();
            case "/debugger/v1/input" -> new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.DEBUGGER_LOGS).begin();
            case "/debugger/v1/diagnostics", "/debugger/v2/input" ->
                    new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.DEBUGGER_INTAKE).begin();
            default -> {
                if (path.startsWith("/telemetry/proxy/") && config.intake().telemetryEnabled()) {
                    new Exchange(req, Endpoint.PROXY, IntakeProxy.Route.TELEMETRY).begin();
                } else if (EVP_PATHS.matcher(path).matches()) {
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
                case STATS -> payloads.stats(headers, body, length);
                case PROXY -> Answer.pending(forward(headers, path, query, method));
                default -> payloads.traces(endpoint, headers, body, length);
            };
        }

        private CompletionStage<Answer> forward(Map<String, String> headers, String path, String query,
                                                String method) {
            String containerId = PayloadWork.containerId(headers);
            return proxy.forward(new IntakeProxy.Forward(route, path, query, method, headers, body, length,
                    containerId, payloads.containerTags(containerId))).thenApply(a -> {
                        telemetry.proxied(route.tag, a.status());
                        if (a.status() >= 500) {
                            telemetry.proxyError(route.tag, "status_" + a.status());
                        }
                        return new Answer(a.status(), a.contentType(), a.body(), Map.of(), false, null);
                    });
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
            // The Agent's bodies: the rates for v0.4 and later, "OK" for the older versions.
            Answer answer = !isTraceEndpoint(endpoint) ? Answer.text(429, "too many payloads at once: retry later")
                    : endpoint == Endpoint.V02_TRACES || endpoint == Endpoint.V03_TRACES
                    ? new Answer(429, "text/plain; charset=utf-8", PayloadWork.OK, Map.of(), false, null)
                    : payloads.rates(req.getHeader(TraceSampler.ratesVersionHeader()), 429);
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
