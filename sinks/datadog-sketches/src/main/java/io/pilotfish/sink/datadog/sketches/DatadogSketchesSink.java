package io.pilotfish.sink.datadog.sketches;

import io.pilotfish.sink.datadog.common.ApiKey;
import io.pilotfish.sink.datadog.common.BoundedBody;
import io.pilotfish.sink.datadog.common.DatadogEndpoints;
import io.pilotfish.sink.datadog.common.EndpointResolver;
import io.pilotfish.sink.datadog.common.IntakeRequest;
import io.pilotfish.sink.datadog.common.RequestCounters;
import io.pilotfish.sink.datadog.common.ResponseClassifier;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Signal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sends sketch batches to {@code POST /api/beta/sketches} as protobuf. Encoding and compression run in
 * {@link #export} (the platform calls it off the event loops); the request itself is asynchronous. The sink never
 * retries: it classifies.
 */
final class DatadogSketchesSink implements Sink {

    static final String SKETCHES_PATH = "/api/beta/sketches";
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final int BODY_BYTES_KEPT = 4096;

    private final DatadogSketchesConfig config;
    private final PluginContext context;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final SketchEncoder encoder;
    private final ResponseClassifier classifier;
    private final EndpointResolver endpoint;
    private final RequestCounters requests;
    private final PluginLog log;

    private final SelfTelemetry.Counter droppedInvalidValue;
    private final SelfTelemetry.Counter droppedInvalidBins;
    private final SelfTelemetry.Counter droppedInvalidName;
    private final SelfTelemetry.Counter droppedUnsupported;

    DatadogSketchesSink(DatadogSketchesConfig config, PluginContext context) {
        this(config, context, REQUEST_TIMEOUT);
    }

    /**
     * @throws IllegalArgumentException when the intake address cannot be derived ({@code DD_SITE}, {@code DD_DD_URL})
     */
    DatadogSketchesSink(DatadogSketchesConfig config, PluginContext context, Duration requestTimeout) {
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.http = context.httpClient();
        this.requestTimeout = requestTimeout;
        this.encoder = new SketchEncoder(config.compression(), config.maxPayloadBytes(),
                config.maxUncompressedBytes());
        this.classifier = new ResponseClassifier(context.clock(), requestTimeout);
        this.endpoint = new EndpointResolver(config.url());
        this.log = context.log();
        SelfTelemetry telemetry = context.telemetry();
        this.requests = new RequestCounters(telemetry);
        this.droppedInvalidValue = telemetry.counter("sink.points.dropped", "reason:invalid_value");
        this.droppedInvalidBins = telemetry.counter("sink.points.dropped", "reason:invalid_bins");
        this.droppedInvalidName = telemetry.counter("sink.points.dropped", "reason:invalid_name");
        this.droppedUnsupported = telemetry.counter("sink.points.dropped", "reason:unsupported_signal");
        // Fail at creation on an unusable site or DD_DD_URL, so the error shows at startup, not at the first flush.
        endpoint.base(context.agent());
    }

    /** The sketches URL currently in use. */
    URI sketchesUri() {
        return endpoint.resolve(context.agent(), SKETCHES_PATH);
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        AgentSettings agent = context.agent();
        URI uri;
        try {
            uri = endpoint.resolve(agent, SKETCHES_PATH);
        } catch (IllegalArgumentException e) {
            // A reload brought an unusable site; keep the data until the setting is fixed.
            return done(new ExportResult.Retryable(e.getMessage()));
        }
        ApiKey key;
        switch (ApiKey.lookup(agent)) {
            case ApiKey.Unusable unusable -> {
                log.warn(unusable.logKind(), unusable.reason());
                return done(unusable.result());
            }
            case ApiKey.Usable usable -> key = usable.key();
        }

        SketchEncoder.Grouped grouped;
        SketchEncoder.Outcome outcome;
        try {
            // Global tags are read at each export, so a reload applies to the next batch.
            grouped = SketchEncoder.group(batch, agent.globalTags());
            if (grouped.points() == 0) {
                countDropped(grouped);
                return done(ExportResult.SUCCESS);
            }
            outcome = encoder.encode(grouped);
        } catch (RuntimeException e) {
            // A bug in the encoder: report it with the batch rather than throw out of export.
            log.error("encoding_failed", "could not encode a batch of " + batch.size() + " sketches", e);
            return done(new ExportResult.Permanent("could not encode a batch of " + batch.size() + " sketches: "
                    + e));
        }
        if (outcome instanceof SketchEncoder.OverLimit over) {
            return done(new ExportResult.TooLarge(over.reason()));
        }
        SketchEncoder.Encoded encoded = (SketchEncoder.Encoded) outcome;

        String host = uri.getHost();
        String site = agent.site();
        try {
            HttpRequest request = IntakeRequest.post(uri, key, IntakeRequest.PROTOBUF, config.compression(),
                    agent.version(), requestTimeout, encoded.body(), encoded.length());
            return http.sendAsync(request, BoundedBody.handler(BODY_BYTES_KEPT)).handle((response, failure) -> {
                if (failure != null) {
                    requests.failed();
                    return classifier.transportFailure(failure, host, key);
                }
                requests.answered(response.statusCode(), encoded.length());
                ExportResult result = classifier.classify(response.statusCode(), response.headers(),
                        response.body(), host, site, encoded.length(), key);
                if (result instanceof ExportResult.Success) {
                    // Counted only once the batch is final: a retried batch would count its bad sketches again.
                    countDropped(grouped);
                } else if (result instanceof ExportResult.CredentialsRejected rejected) {
                    log.warn("api_key_rejected", rejected.reason());
                }
                return result;
            });
        } catch (RuntimeException e) {
            // Only a header value the JDK refuses (e.g. an odd agent version) gets here; retrying cannot help.
            requests.failed();
            return done(new ExportResult.Permanent(key.redact("request to " + host + " could not be built: "
                    + e.getMessage())));
        }
    }

    private void countDropped(SketchEncoder.Grouped grouped) {
        if (grouped.invalidValues() > 0) {
            droppedInvalidValue.add(grouped.invalidValues());
            log.warn("invalid_value", "dropped " + grouped.invalidValues() + " sketches whose min, max or sum is "
                    + "NaN or infinite, whose count is below 1, or whose min is above its max");
        }
        if (grouped.invalidBins() > 0) {
            droppedInvalidBins.add(grouped.invalidBins());
            log.warn("invalid_bins", "dropped " + grouped.invalidBins() + " sketches whose bins are out of the key "
                    + "range (±32767) or order, have negative counts, or do not add up to the sketch's count");
        }
        if (grouped.invalidNames() > 0) {
            droppedInvalidName.add(grouped.invalidNames());
            log.warn("invalid_name", "dropped " + grouped.invalidNames() + " sketches without a metric name");
        }
        if (grouped.unsupported() > 0) {
            droppedUnsupported.add(grouped.unsupported());
            log.warn("unsupported_signal", "dropped " + grouped.unsupported()
                    + " signals that are not sketches; route only sketches to a datadog-sketches sink");
        }
    }

    private static CompletionStage<ExportResult> done(ExportResult result) {
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public String toString() {
        // Scheme, host and path only: a DD_DD_URL may carry proxy credentials.
        String target = endpoint.lastBase().map(base -> DatadogEndpoints.describe(
                DatadogEndpoints.withPath(base, SKETCHES_PATH))).orElse("?");
        return "DatadogSketchesSink[" + context.instanceName() + " -> " + target + ", "
                + config.compression().contentEncoding() + "]";
    }
}
