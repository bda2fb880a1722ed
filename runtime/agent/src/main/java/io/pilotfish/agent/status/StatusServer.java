package io.pilotfish.agent.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.config.AgentConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    private final Vertx vertx;
    private final AgentConfig.StatusOptions options;
    private final Supplier<ObjectNode> report;
    private final Supplier<Health> health;
    private final Supplier<String> metrics;
    private HttpServer server;

    /**
     * @param metrics the OpenMetrics document, see {@link OpenMetrics#render}
     */
    public StatusServer(Vertx vertx, AgentConfig.StatusOptions options, Supplier<ObjectNode> report,
                        Supplier<Health> health, Supplier<String> metrics) {
        this.vertx = vertx;
        this.options = options;
        this.report = report;
        this.health = health;
        this.metrics = metrics;
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
        vertx.createHttpServer().requestHandler(this::handle).listen(options.port(), options.host())
                .onSuccess(listening -> {
                    server = listening;
                    bound.complete(listening.actualPort());
                })
                .onFailure(bound::completeExceptionally);
        try {
            int port = bound.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.log(System.Logger.Level.INFO, "status endpoint on http://" + options.host() + ":" + port
                    + "/status (pilotfish status)");
            return port;
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            LOG.log(System.Logger.Level.WARNING, "status endpoint not started on " + options.host() + ":"
                    + options.port() + " (" + cause.getMessage() + "); the agent runs without it. Set "
                    + "pilotfish.status.port to a free port, or 0 to turn it off");
            return -1;
        }
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
