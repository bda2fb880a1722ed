package io.pilotfish.sink.datadog.metrics;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.Secret;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Signal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sends metric batches to {@code POST /api/v2/series}. Encoding and compression run in {@link #export} (the platform
 * calls it off the event loops); the request itself is asynchronous. The sink never retries: it classifies.
 */
final class DatadogMetricsSink implements Sink {

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    static final String NO_API_KEY = "no API key configured: set DD_API_KEY (or the SSM parameter that holds it); "
            + "metrics stay queued until a key is available";
    static final String BAD_API_KEY = "the API key contains characters that cannot be sent in an HTTP header "
            + "(spaces, line breaks or non-ASCII): check the value of DD_API_KEY";
    private static final int BODY_BYTES_KEPT = 4096;

    private final DatadogMetricsConfig config;
    private final PluginContext context;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final SeriesEncoder encoder;
    private final ResponseClassifier classifier;
    private final PluginLog log;

    private final SelfTelemetry.Counter requests2xx;
    private final SelfTelemetry.Counter requests3xx;
    private final SelfTelemetry.Counter requests4xx;
    private final SelfTelemetry.Counter requests5xx;
    private final SelfTelemetry.Counter requestsFailed;
    private final SelfTelemetry.Counter bytesSent;
    private final SelfTelemetry.Counter droppedInvalidValue;
    private final SelfTelemetry.Counter droppedInvalidName;
    private final SelfTelemetry.Counter droppedUnsupported;

    // The endpoint follows the agent settings, which a config reload may replace; resolved again only on change.
    private String resolvedSite;
    private Optional<URI> resolvedDdUrl;
    private volatile URI seriesUri;

    DatadogMetricsSink(DatadogMetricsConfig config, PluginContext context) {
        this(config, context, REQUEST_TIMEOUT);
    }

    /**
     * @throws IllegalArgumentException when the intake address cannot be derived ({@code DD_SITE}, {@code DD_DD_URL})
     */
    DatadogMetricsSink(DatadogMetricsConfig config, PluginContext context, Duration requestTimeout) {
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.http = context.httpClient();
        this.requestTimeout = requestTimeout;
        this.encoder = new SeriesEncoder(config.compression(), config.maxPayloadBytes(), config.maxUncompressedBytes());
        this.classifier = new ResponseClassifier(context.clock(), requestTimeout);
        this.log = context.log();
        SelfTelemetry telemetry = context.telemetry();
        this.requests2xx = telemetry.counter("sink.requests", "status_class:2xx");
        this.requests3xx = telemetry.counter("sink.requests", "status_class:3xx");
        this.requests4xx = telemetry.counter("sink.requests", "status_class:4xx");
        this.requests5xx = telemetry.counter("sink.requests", "status_class:5xx");
        this.requestsFailed = telemetry.counter("sink.requests", "status_class:error");
        this.bytesSent = telemetry.counter("sink.bytes.sent");
        this.droppedInvalidValue = telemetry.counter("sink.points.dropped", "reason:invalid_value");
        this.droppedInvalidName = telemetry.counter("sink.points.dropped", "reason:invalid_name");
        this.droppedUnsupported = telemetry.counter("sink.points.dropped", "reason:unsupported_signal");
        // Fail at creation on an unusable site or DD_DD_URL, so the error shows at startup, not at the first flush.
        endpoint(context.agent());
    }

    /** The series URL currently in use. */
    URI seriesUri() {
        return endpoint(context.agent());
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        AgentSettings agent = context.agent();
        URI uri;
        try {
            uri = endpoint(agent);
        } catch (IllegalArgumentException e) {
            // A reload brought an unusable site; keep the data until the setting is fixed.
            return done(new ExportResult.Retryable(e.getMessage()));
        }
        Optional<Secret> apiKey = agent.apiKey().get().map(k -> new Secret(k.reveal().strip()));
        if (apiKey.isEmpty() || apiKey.get().reveal().isEmpty()) {
            log.warn("no_api_key", NO_API_KEY);
            return done(new ExportResult.Retryable(NO_API_KEY));
        }
        Secret key = apiKey.get();
        if (!key.reveal().chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            // Retryable, like a missing key: the data waits for a corrected (rotated) key instead of being dropped.
            log.warn("bad_api_key", BAD_API_KEY);
            return done(new ExportResult.Retryable(BAD_API_KEY));
        }
        ResponseClassifier.Redactor redactor = text -> redact(text, key);

        SeriesEncoder.Grouped grouped = SeriesEncoder.group(batch);
        if (grouped.points() == 0) {
            countDropped(grouped);
            return done(ExportResult.SUCCESS);
        }
        SeriesEncoder.Outcome outcome = encoder.encode(grouped, agent.globalTags());
        if (outcome instanceof SeriesEncoder.OverLimit over) {
            return done(new ExportResult.TooLarge(over.reason()));
        }
        SeriesEncoder.Encoded encoded = (SeriesEncoder.Encoded) outcome;

        String host = uri.getHost();
        String site = agent.site();
        try {
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .timeout(requestTimeout)
                    .header("DD-API-KEY", key.reveal())
                    .header("Content-Type", "application/json")
                    .header("Content-Encoding", config.compression().contentEncoding())
                    .header("User-Agent", "pilotfish/" + agent.version())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(encoded.body(), 0, encoded.length()))
                    .build();
            return http.sendAsync(request, BoundedBody.handler(BODY_BYTES_KEPT)).handle((response, failure) -> {
                if (failure != null) {
                    requestsFailed.increment();
                    return classifier.transportFailure(failure, host, redactor);
                }
                bytesSent.add(encoded.length());
                countRequest(response.statusCode());
                ExportResult result = classifier.classify(response.statusCode(), response.headers(), response.body(),
                        host, site, encoded.length(), redactor);
                if (result instanceof ExportResult.Success) {
                    // Counted only once the batch is final: a retried batch would count its bad points again.
                    countDropped(grouped);
                } else if (result instanceof ExportResult.Permanent permanent
                        && (response.statusCode() == 401 || response.statusCode() == 403)) {
                    log.warn("api_key_rejected", permanent.reason());
                }
                return result;
            });
        } catch (RuntimeException e) {
            // Only a header value the JDK refuses (e.g. an odd agent version) gets here; retrying cannot help.
            requestsFailed.increment();
            return done(new ExportResult.Permanent(redact("request to " + host + " could not be built: "
                    + e.getMessage(), key)));
        }
    }

    private synchronized URI endpoint(AgentSettings agent) {
        if (seriesUri == null || !Objects.equals(agent.site(), resolvedSite)
                || !Objects.equals(agent.ddUrl(), resolvedDdUrl)) {
            seriesUri = SeriesEndpoint.resolve(config.url(), agent);
            resolvedSite = agent.site();
            resolvedDdUrl = agent.ddUrl();
        }
        return seriesUri;
    }

    private void countRequest(int status) {
        switch (status / 100) {
            case 2 -> requests2xx.increment();
            case 3 -> requests3xx.increment();
            case 4 -> requests4xx.increment();
            case 5 -> requests5xx.increment();
            default -> requestsFailed.increment();
        }
    }

    private void countDropped(SeriesEncoder.Grouped grouped) {
        if (grouped.invalidValues() > 0) {
            droppedInvalidValue.add(grouped.invalidValues());
            log.warn("invalid_value", "dropped " + grouped.invalidValues()
                    + " metric points whose value is NaN or infinite (not representable in JSON)");
        }
        if (grouped.invalidNames() > 0) {
            droppedInvalidName.add(grouped.invalidNames());
            log.warn("invalid_name", "dropped " + grouped.invalidNames() + " metric points without a metric name");
        }
        if (grouped.unsupported() > 0) {
            droppedUnsupported.add(grouped.unsupported());
            log.warn("unsupported_signal", "dropped " + grouped.unsupported()
                    + " signals that are not metrics; route only metrics to a datadog-metrics sink");
        }
    }

    private static String redact(String text, Secret key) {
        String value = key.reveal();
        return value.isEmpty() || text == null ? text : text.replace(value, key.masked());
    }

    private static CompletionStage<ExportResult> done(ExportResult result) {
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public String toString() {
        // Scheme, host and path only: a DD_DD_URL may carry proxy credentials.
        URI uri = seriesUri;
        String target = uri == null ? "?" : uri.getScheme() + "://" + uri.getHost()
                + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + uri.getRawPath();
        return "DatadogMetricsSink[" + context.instanceName() + " -> " + target + ", "
                + config.compression().contentEncoding() + "]";
    }
}
