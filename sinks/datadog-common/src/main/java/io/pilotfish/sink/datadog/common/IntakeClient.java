package io.pilotfish.sink.datadog.common;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One sink's requests to a Datadog intake path, from settings to classified answer: {@link #prepare} resolves the
 * URL and reads the API key for an export, {@link #send} posts a body and classifies the answer, counting requests
 * ({@link RequestCounters}) and warning {@code api_key_rejected} on a 401/403. The sink keeps only its encoding and
 * what it counts per signal. Thread-safe.
 */
public final class IntakeClient {

    /** How much of an answer is kept: enough for the excerpt a reason shows. */
    private static final int BODY_BYTES_KEPT = 4096;

    private final PluginContext context;
    private final HttpClient http;
    private final PluginLog log;
    private final EndpointResolver endpoint;
    private final ResponseClassifier classifier;
    private final RequestCounters requests;
    private final String path;
    private final String contentType;
    private final Compression compression;
    private final Duration requestTimeout;

    /**
     * @param configuredUrl  the sink's own {@code url} key, already checked with {@link DatadogEndpoints#parseBase}
     * @param path           the API path requests go to, e.g. {@code /api/v2/series}
     * @param contentType    the body's media type, e.g. {@link IntakeRequest#JSON}
     * @param compression    how bodies given to {@link #send} are compressed ({@code Content-Encoding})
     * @param requestTimeout the timeout of each request
     * @throws IllegalArgumentException when the intake address cannot be derived ({@code DD_SITE}, {@code DD_DD_URL})
     */
    public IntakeClient(PluginContext context, Optional<URI> configuredUrl, String path, String contentType,
                        Compression compression, Duration requestTimeout) {
        this.context = Objects.requireNonNull(context, "context");
        this.http = context.httpClient();
        this.log = context.log();
        this.endpoint = new EndpointResolver(configuredUrl);
        this.classifier = new ResponseClassifier(context.clock(), requestTimeout);
        this.requests = new RequestCounters(context.telemetry());
        this.path = Objects.requireNonNull(path, "path");
        this.contentType = Objects.requireNonNull(contentType, "contentType");
        this.compression = Objects.requireNonNull(compression, "compression");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        // Fail at creation on an unusable site or DD_DD_URL, so the error shows at startup, not at the first flush.
        endpoint.base(context.agent());
    }

    /** What {@link #prepare} found: a {@link Target} to send to, or {@link Blocked} with the export's result. */
    public sealed interface Prepared permits Target, Blocked {
    }

    /**
     * Where and with what one export sends; all read from the same agent settings.
     *
     * @param base  the base URL, for {@link #at} another path below it
     * @param uri   the base with the path
     * @param agent the settings of this export (global tags, site, version)
     */
    public record Target(URI base, URI uri, ApiKey key, AgentSettings agent) implements Prepared {

        /** The same target at another API path below the base (a sink that posts to several). */
        public Target at(String otherPath) {
            return new Target(base, DatadogEndpoints.withPath(base, otherPath), key, agent);
        }

        /** The host named in reasons. */
        public String host() {
            return uri.getHost();
        }
    }

    /** Nothing can be sent now; {@code result} keeps the data (Retryable) until the setting or key is fixed. */
    public record Blocked(ExportResult result) implements Prepared {
    }

    /**
     * A request's classified outcome with the HTTP status, for a sink whose handling depends on the status.
     *
     * @param httpStatus the answer's status; 0 when there was none (transport failure, request not built)
     */
    public record Answer(ExportResult result, int httpStatus) {
    }

    /**
     * Resolves the URL and reads the key for one export, from the current agent settings (a reload may have
     * changed the site, or rotated the key). An unusable key is warned about under its log kind.
     */
    public Prepared prepare() {
        AgentSettings agent = context.agent();
        URI base;
        try {
            base = endpoint.base(agent);
        } catch (IllegalArgumentException e) {
            // A reload brought an unusable site; keep the data until the setting is fixed.
            return new Blocked(new ExportResult.Retryable(e.getMessage()));
        }
        return switch (ApiKey.lookup(agent)) {
            case ApiKey.Unusable unusable -> {
                log.warn(unusable.logKind(), unusable.reason());
                yield new Blocked(unusable.result());
            }
            case ApiKey.Usable usable -> new Target(base, DatadogEndpoints.withPath(base, path), usable.key(),
                    agent);
        };
    }

    /**
     * Posts {@code body[0, length)} (already compressed) and classifies the answer; {@code onSuccess} runs once the
     * intake accepted it, before the stage completes (e.g. to count what the sink dropped only once the batch is
     * final: a retried batch would count it again).
     */
    public CompletionStage<ExportResult> send(Target target, byte[] body, int length, Runnable onSuccess) {
        CompletableFuture<Answer> answered = exchange(target, body, length).toCompletableFuture();
        CompletableFuture<ExportResult> result = answered.thenApply(answer -> {
            if (answer.result() instanceof ExportResult.Success) {
                onSuccess.run();
            }
            return answer.result();
        });
        abortWhenAbandoned(result, answered);
        return result;
    }

    /**
     * When {@code stage} is completed from outside before {@code upstream} (the platform's request timeout completes
     * an export's stage exceptionally), {@code upstream} is cancelled: for a request, the JDK then aborts the exchange
     * and closes its connection. Otherwise the request would stay open until the sink's own timeout, and an intake
     * answering 2xx late would take the batch a second time, after the platform has already sent it again.
     */
    public static void abortWhenAbandoned(CompletableFuture<?> stage, CompletableFuture<?> upstream) {
        stage.whenComplete((ignored, failure) -> {
            if (!upstream.isDone()) {
                upstream.cancel(true);
            }
        });
    }

    /** As {@link #send}, keeping the HTTP status with the result. Never completes exceptionally for HTTP reasons. */
    public CompletionStage<Answer> exchange(Target target, byte[] body, int length) {
        ApiKey key = target.key();
        String host = target.host();
        try {
            HttpRequest request = IntakeRequest.post(target.uri(), key, contentType, compression,
                    target.agent().version(), requestTimeout, body, length);
            CompletableFuture<HttpResponse<byte[]>> sending = http.sendAsync(request,
                    BoundedBody.handler(BODY_BYTES_KEPT));
            CompletableFuture<Answer> answered = sending.handle((response, failure) -> {
                if (failure != null) {
                    requests.failed();
                    return new Answer(classifier.transportFailure(failure, host, key), 0);
                }
                if (response.statusCode() == 407) {
                    requests.proxyRefused();
                    ExportResult.Retryable refused = classifier.proxyRefused(proxyFor(target.uri()),
                            response.request().headers().firstValue("Proxy-Authorization").isPresent());
                    log.warn("proxy_auth_rejected", refused.reason());
                    return new Answer(refused, 407);
                }
                requests.answered(response.statusCode(), length);
                ExportResult result = classifier.classify(response.statusCode(), response.headers(),
                        response.body(), host, target.agent().site(), length, key);
                if (result instanceof ExportResult.CredentialsRejected rejected) {
                    log.warn("api_key_rejected", rejected.reason());
                }
                return new Answer(result, response.statusCode());
            });
            abortWhenAbandoned(answered, sending);
            return answered;
        } catch (RuntimeException e) {
            // Only a header value the JDK refuses (e.g. an odd agent version) gets here; retrying cannot help.
            requests.failed();
            return CompletableFuture.completedFuture(new Answer(new ExportResult.Permanent(key.redact(
                    "request to " + host + " could not be built: " + e.getMessage())), 0));
        }
    }

    /** The proxy requests to {@code uri} go through, as {@code host:port}; empty when they go direct. */
    private Optional<String> proxyFor(URI uri) {
        return http.proxy().flatMap(selector -> selector.select(uri).stream()
                        .filter(proxy -> proxy.type() != java.net.Proxy.Type.DIRECT).findFirst())
                .map(java.net.Proxy::address)
                .filter(java.net.InetSocketAddress.class::isInstance)
                .map(address -> {
                    java.net.InetSocketAddress socket = (java.net.InetSocketAddress) address;
                    return socket.getHostString() + ":" + socket.getPort();
                });
    }

    /**
     * The URL requests currently go to.
     *
     * @throws IllegalArgumentException when the current settings give no usable base
     */
    public URI uri() {
        return endpoint.resolve(context.agent(), path);
    }

    /**
     * The URL last resolved, for a sink's {@code toString}: scheme, host and path only (a {@code DD_DD_URL} may carry
     * proxy credentials); {@code ?} before any.
     */
    public String describe() {
        return endpoint.lastBase().map(base -> DatadogEndpoints.describe(DatadogEndpoints.withPath(base, path)))
                .orElse("?");
    }

    /** As {@link #describe}, the base alone: for a sink that posts to several paths below it. */
    public String describeBase() {
        return endpoint.lastBase().map(DatadogEndpoints::describe).orElse("?");
    }
}
