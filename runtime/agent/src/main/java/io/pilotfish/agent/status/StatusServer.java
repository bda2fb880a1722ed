package io.pilotfish.agent.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.config.AgentConfig;
import io.pilotfish.spi.SelfTelemetry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The local status endpoint, on the loopback interface by default, answered on the event loop from figures already
 * in memory (nothing here blocks):
 * <ul>
 *   <li>{@code GET /status}: JSON, see {@link StatusReport} ({@code pilotfish status});</li>
 *   <li>{@code GET /health}: {@link Health} — 200 {@code {"status":"ok"}} or {@code {"status":"degraded",
 *   "problems":[…]}}, 503 {@code {"status":"unhealthy","problems":[…]}} or {@code {"status":"stopping"}}
 *   ({@code pilotfish health}, an ECS container health check);</li>
 *   <li>{@code GET /metrics}: the agent's own figures in the OpenMetrics text format, for Prometheus or the Datadog
 *   OpenMetrics check; they are not shipped to Datadog unless {@code pilotfish.telemetry.ship=true}.</li>
 * </ul>
 */
public final class StatusServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(StatusServer.class.getName());

    /**
     * How the listener bounds what clients may hold: a connection with no traffic for {@code idleTimeout} is closed,
     * and beyond {@code maxConnections} open ones a new connection is closed at once and counted. Its clients are
     * {@code pilotfish status}/{@code health}/{@code doctor} (one request each) and perhaps a scraper: a few at a time.
     */
    public record Limits(Duration idleTimeout, int maxConnections) {
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(15), 64);

        public Limits {
            if (idleTimeout.toMillis() < 1 || maxConnections < 1) {
                throw new IllegalArgumentException("idleTimeout and maxConnections must be positive: " + idleTimeout
                        + ", " + maxConnections);
            }
        }
    }

    /** Between two log lines about refused connections: a flood must not flood the log too. */
    private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Vertx vertx;
    private final AgentConfig.StatusOptions options;
    private final Supplier<ObjectNode> report;
    private final Supplier<Health> health;
    private final Supplier<String> metrics;
    private final Limits limits;
    private final AtomicInteger open = new AtomicInteger();
    private final SelfTelemetry.Counter refused;
    private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - REFUSAL_LOG_INTERVAL_NANOS);
    private HttpServer server;

    /**
     * @param metrics   the OpenMetrics document, see {@link OpenMetrics#render}
     * @param telemetry where {@code status.connections.open} and {@code status.connections.refused} are counted
     */
    public StatusServer(Vertx vertx, AgentConfig.StatusOptions options, Supplier<ObjectNode> report,
                        Supplier<Health> health, Supplier<String> metrics, SelfTelemetry telemetry) {
        this(vertx, options, report, health, metrics, telemetry, Limits.DEFAULT);
    }

    StatusServer(Vertx vertx, AgentConfig.StatusOptions options, Supplier<ObjectNode> report,
                 Supplier<Health> health, Supplier<String> metrics, SelfTelemetry telemetry, Limits limits) {
        this.vertx = vertx;
        this.options = options;
        this.report = report;
        this.health = health;
        this.metrics = metrics;
        this.limits = limits;
        this.refused = telemetry.counter("status.connections.refused");
        telemetry.gauge("status.connections.open", open::get);
    }

    /** Whether {@code host} names a loopback address; false for a wildcard or one that does not resolve. */
    public static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Opens the port, waiting at most {@code timeout}. A port in use is logged and the agent runs without the
     * endpoint: status is a convenience, never a reason to stop collecting.
     *
     * @return the bound port, or -1 when not listening
     */
    public int start(Duration timeout) {
        if (!options.enabled()) {
            return -1;
        }
        CompletableFuture<Integer> bound = new CompletableFuture<>();
        // HTTP/1.1 only: with h2c on, Vert.x waits for a connection's first bytes before it sees the connection, so
        // one that sends nothing would escape the cap.
        HttpServerOptions serverOptions = new HttpServerOptions()
                .setHttp2ClearTextEnabled(false)
                .setIdleTimeout((int) Math.max(1, limits.idleTimeout().toMillis()))
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        vertx.createHttpServer(serverOptions).connectionHandler(this::admit).requestHandler(this::handle)
                .listen(options.port(), options.host())
                .onSuccess(listening -> {
                    server = listening;
                    bound.complete(listening.actualPort());
                })
                .onFailure(bound::completeExceptionally);
        try {
            int port = bound.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.log(System.Logger.Level.INFO, "status endpoint on http://" + options.host() + ":" + port
                    + "/status (pilotfish status)");
            if (!isLoopback(options.host())) {
                LOG.log(System.Logger.Level.WARNING, exposureWarning(options.host(), port));
            }
            return port;
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            LOG.log(System.Logger.Level.WARNING, "status endpoint not started on " + options.host() + ":"
                    + options.port() + " (" + cause.getMessage() + "); the agent runs without it. Set "
                    + "pilotfish.status.port to a free port, or 0 to turn it off");
            return -1;
        }
    }

    /** What a status endpoint bound to a non-loopback {@code host} exposes, and how to undo it. */
    public static String exposureWarning(String host, int port) {
        return "the status endpoint listens on " + host + ":" + port + ", not on a loopback address: /status, "
                + "/health and /metrics answer anyone who can reach this task on port " + port + ", without "
                + "authentication (configuration sources, plugin states and figures; never secrets). Unset "
                + "PILOTFISH_STATUS_HOST (pilotfish.status.host, default 127.0.0.1) unless that is what you want, "
                + "and then allow the port only from trusted sources in the task's security group";
    }

    /** Counts a new connection, or closes it at once when {@link Limits#maxConnections} are already open. */
    private void admit(HttpConnection connection) {
        if (open.incrementAndGet() > limits.maxConnections()) {
            open.decrementAndGet();
            refused.increment();
            connection.close();
            long now = System.nanoTime();
            long last = lastRefusalLog.get();
            if (now - last >= REFUSAL_LOG_INTERVAL_NANOS && lastRefusalLog.compareAndSet(last, now)) {
                LOG.log(System.Logger.Level.WARNING, "status endpoint: " + limits.maxConnections()
                        + " connections open, the most it allows; refusing new ones (" + refused.total()
                        + " refused since start, pilotfish.status.connections.refused). Idle connections are "
                        + "closed after " + limits.idleTimeout().toSeconds() + " s");
            }
            return;
        }
        connection.closeHandler(closed -> open.decrementAndGet());
    }

    private void handle(HttpServerRequest request) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().setStatusCode(405).putHeader("Allow", "GET").end();
            return;
        }
        switch (request.path()) {
            case "/status" -> {
                String body;
                try {
                    body = StatusReport.json(report.get());
                } catch (RuntimeException e) {
                    request.response().setStatusCode(500).end("status could not be built: "
                            + e.getClass().getSimpleName() + "\n");
                    return;
                }
                request.response().putHeader("Content-Type", "application/json").end(body);
            }
            case "/health" -> {
                Health verdict;
                try {
                    verdict = health.get();
                } catch (RuntimeException e) {
                    verdict = new Health(Health.Status.UNHEALTHY, java.util.List.of("health could not be decided: "
                            + e.getClass().getSimpleName()));
                }
                request.response().setStatusCode(verdict.status().httpStatus())
                        .putHeader("Content-Type", "application/json").end(verdict.json());
            }
            case "/metrics" -> {
                String body;
                try {
                    body = metrics.get();
                } catch (RuntimeException e) {
                    request.response().setStatusCode(500).end("metrics could not be read: "
                            + e.getClass().getSimpleName() + "\n");
                    return;
                }
                request.response().putHeader("Content-Type", OpenMetrics.CONTENT_TYPE).end(body);
            }
            default -> request.response().setStatusCode(404).end("try /status, /health or /metrics\n");
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
