package io.pilotfish.sink.datadog.logs;

import io.pilotfish.sink.datadog.common.ApiKey;
import io.pilotfish.sink.datadog.common.BoundedBody;
import io.pilotfish.sink.datadog.common.DatadogEndpoints;
import io.pilotfish.sink.datadog.common.IntakeClient;
import io.pilotfish.sink.datadog.common.IntakeRequest;
import io.pilotfish.sink.datadog.common.RequestCounters;
import io.pilotfish.sink.datadog.common.ResponseClassifier;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Requests to Datadog's logs intake, {@code https://agent-http-intake.logs.<site>/api/v2/logs}, from settings to
 * classified answer. The pieces are {@code datadog-common}'s (API key, compression, answer classification, request
 * counters, bounded answer bodies). What differs from its {@code IntakeClient}, and why this class exists: the logs
 * intake has its own host (and the sink's {@code url} in place of {@code DD_DD_URL}, which the Agent's logs pipeline
 * does not read), and the Agent's logs sender adds protocol and origin headers the shared request does not carry.
 * Thread-safe.
 */
final class LogsIntake {

    /** The Agent's logs endpoint prefix ({@code httpEndpointPrefix}); the site follows. */
    static final String HOST_PREFIX = "agent-http-intake.logs.";
    /** The Agent's {@code AgentJSONIntakeProtocol}: a JSON array of the Agent's log records. */
    static final String PROTOCOL_HEADER = "DD-PROTOCOL";
    static final String PROTOCOL = "agent-json";
    /** Who sent the payload ({@code DefaultIntakeOrigin}) and which version, as the Agent's sender says it. */
    static final String ORIGIN_HEADER = "DD-EVP-ORIGIN";
    static final String ORIGIN = "agent";
    static final String ORIGIN_VERSION_HEADER = "DD-EVP-ORIGIN-VERSION";
    private static final int BODY_BYTES_KEPT = 4096;

    private final PluginContext context;
    private final HttpClient http;
    private final PluginLog log;
    private final Optional<URI> configuredUrl;
    private final String path;
    private final LogsCompression compression;
    private final Duration requestTimeout;
    private final ResponseClassifier classifier;
    private final RequestCounters requests;
    private volatile URI lastUri;

    /**
     * @param configuredUrl the sink's {@code url}, already checked with {@link DatadogEndpoints#parseBase}
     * @throws IllegalArgumentException naming {@code DD_SITE} when no {@code url} is set and the site is unusable
     */
    LogsIntake(PluginContext context, Optional<URI> configuredUrl, String path, LogsCompression compression,
               Duration requestTimeout) {
        this.context = Objects.requireNonNull(context, "context");
        this.http = context.httpClient();
        this.log = context.log();
        this.configuredUrl = Objects.requireNonNull(configuredUrl, "configuredUrl");
        this.path = Objects.requireNonNull(path, "path");
        this.compression = Objects.requireNonNull(compression, "compression");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        this.classifier = new ResponseClassifier(context.clock(), requestTimeout);
        this.requests = new RequestCounters(context.telemetry());
        // Fail at creation on an unusable site, so the error shows at startup rather than at the first flush.
        resolve(context.agent());
    }

    /**
     * The base: the sink's {@code url} if set, else {@code https://agent-http-intake.logs.<DD_SITE>}.
     *
     * @throws IllegalArgumentException naming {@code DD_SITE} when it is not a usable host name
     */
    static URI base(Optional<URI> configuredUrl, AgentSettings agent) {
        if (configuredUrl.isPresent()) {
            return configuredUrl.get();
        }
        String site = agent.site();
        Optional<String> problem = DatadogEndpoints.siteProblem(site);
        if (problem.isPresent()) {
            throw new IllegalArgumentException("DD_SITE=\"" + site + "\": " + problem.get());
        }
        // siteBase normalises the site (case, trailing dot, blank for the default) into https://api.<site>.
        String normalisedSite = DatadogEndpoints.siteBase(site).getHost().substring("api.".length());
        return URI.create("https://" + HOST_PREFIX + normalisedSite);
    }

    private URI resolve(AgentSettings agent) {
        URI uri = DatadogEndpoints.withPath(base(configuredUrl, agent), path);
        lastUri = uri;
        return uri;
    }

    /** The URL requests go to now (a reload may change {@code DD_SITE}). */
    URI uri() {
        return resolve(context.agent());
    }

    /** What {@link #prepare} found: a {@link Target}, or {@link Blocked} with the export's result. */
    sealed interface Prepared permits Target, Blocked {
    }

    /** Where and with what one export sends, all read from the same agent settings. */
    record Target(URI uri, ApiKey key, AgentSettings agent) implements Prepared {
        String host() {
            return uri.getHost();
        }
    }

    /** Nothing can be sent now; the result keeps the data (Retryable) until the setting or key is fixed. */
    record Blocked(ExportResult result) implements Prepared {
    }

    /** Resolves the URL and reads the key for one export, from the current settings (a reload may change both). */
    Prepared prepare() {
        AgentSettings agent = context.agent();
        URI uri;
        try {
            uri = resolve(agent);
        } catch (IllegalArgumentException e) {
            return new Blocked(new ExportResult.Retryable(e.getMessage()));
        }
        return switch (ApiKey.lookup(agent)) {
            case ApiKey.Unusable unusable -> {
                log.warn(unusable.logKind(), unusable.reason());
                yield new Blocked(unusable.result());
            }
            case ApiKey.Usable usable -> new Target(uri, usable.key(), agent);
        };
    }

    /**
     * Posts a compressed JSON body and classifies the answer as every Datadog sink does ({@link ResponseClassifier}):
     * 2xx Success, 408/429/5xx and no answer Retryable, 413 TooLarge, 401/403 CredentialsRejected, other answers
     * Permanent. Never completes exceptionally by itself; completed (or cancelled) from outside while the request is
     * out, it aborts the request.
     */
    CompletionStage<ExportResult> post(Target target, byte[] body, int length) {
        ApiKey key = target.key();
        String host = target.host();
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(target.uri())
                    .timeout(requestTimeout)
                    .header(ApiKey.HEADER, key.headerValue())
                    .header("Content-Type", IntakeRequest.JSON);
            compression.contentEncoding().ifPresent(encoding -> builder.header("Content-Encoding", encoding));
            HttpRequest request = builder
                    .header(PROTOCOL_HEADER, PROTOCOL)
                    .header(ORIGIN_HEADER, ORIGIN)
                    .header(ORIGIN_VERSION_HEADER, target.agent().version())
                    .header("User-Agent", "pilotfish/" + target.agent().version())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body, 0, length))
                    .build();
            CompletableFuture<java.net.http.HttpResponse<byte[]>> sending =
                    http.sendAsync(request, BoundedBody.handler(BODY_BYTES_KEPT));
            CompletableFuture<ExportResult> answered = sending.handle((response, failure) -> {
                if (failure != null) {
                    requests.failed();
                    return classifier.transportFailure(failure, host, key);
                }
                if (response.statusCode() == 407) {
                    requests.proxyRefused();
                    ExportResult.Retryable refused = classifier.proxyRefused(proxyFor(target.uri()),
                            response.request().headers().firstValue("Proxy-Authorization").isPresent());
                    log.warn("proxy_auth_rejected", refused.reason());
                    return refused;
                }
                requests.answered(response.statusCode(), length);
                ExportResult result = classifier.classify(response.statusCode(), response.headers(),
                        response.body(), host, target.agent().site(), length, key);
                if (result instanceof ExportResult.CredentialsRejected rejected) {
                    log.warn("api_key_rejected", rejected.reason());
                }
                return result;
            });
            IntakeClient.abortWhenAbandoned(answered, sending);
            return answered;
        } catch (RuntimeException e) {
            // Only a header value the JDK refuses (an odd agent version) gets here; retrying cannot help.
            requests.failed();
            return CompletableFuture.completedFuture(new ExportResult.Permanent(key.redact(
                    "request to " + host + " could not be built: " + e.getMessage())));
        }
    }

    private Optional<String> proxyFor(URI uri) {
        return http.proxy().flatMap(selector -> selector.select(uri).stream()
                        .filter(proxy -> proxy.type() != Proxy.Type.DIRECT).findFirst())
                .map(Proxy::address)
                .filter(InetSocketAddress.class::isInstance)
                .map(address -> {
                    InetSocketAddress socket = (InetSocketAddress) address;
                    return socket.getHostString() + ":" + socket.getPort();
                });
    }

    /** The URL last resolved without credentials or query, for {@code toString}. */
    String describe() {
        return DatadogEndpoints.describe(lastUri);
    }
}
