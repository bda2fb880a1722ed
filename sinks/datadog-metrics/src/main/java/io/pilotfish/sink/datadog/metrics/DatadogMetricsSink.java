package io.pilotfish.sink.datadog.metrics;

import io.pilotfish.sink.datadog.common.IntakeClient;
import io.pilotfish.sink.datadog.common.IntakeRequest;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Signal;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sends metric batches to {@code POST /api/v2/series}. Encoding and compression run in {@link #export} (the platform
 * calls it off the event loops); the request itself is asynchronous. The sink never retries: it classifies.
 */
final class DatadogMetricsSink implements Sink {

    static final String SERIES_PATH = "/api/v2/series";
    /** Shorter than the platform's default export timeout (15 s), so a late answer is never mistaken for none. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final DatadogMetricsConfig config;
    private final PluginContext context;
    private final SeriesEncoder encoder;
    private final IntakeClient intake;
    private final PluginLog log;

    private final SelfTelemetry.Counter droppedInvalidValue;
    private final SelfTelemetry.Counter droppedInvalidName;
    private final SelfTelemetry.Counter droppedUnsupported;

    DatadogMetricsSink(DatadogMetricsConfig config, PluginContext context) {
        this(config, context, REQUEST_TIMEOUT);
    }

    /**
     * @throws IllegalArgumentException when the intake address cannot be derived ({@code DD_SITE}, {@code DD_DD_URL})
     */
    DatadogMetricsSink(DatadogMetricsConfig config, PluginContext context, Duration requestTimeout) {
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.encoder = new SeriesEncoder(config.compression(), config.maxPayloadBytes(), config.maxUncompressedBytes());
        this.intake = new IntakeClient(context, config.url(), SERIES_PATH, IntakeRequest.JSON, config.compression(),
                requestTimeout);
        this.log = context.log();
        SelfTelemetry telemetry = context.telemetry();
        this.droppedInvalidValue = telemetry.counter("sink.points.dropped", "reason:invalid_value");
        this.droppedInvalidName = telemetry.counter("sink.points.dropped", "reason:invalid_name");
        this.droppedUnsupported = telemetry.counter("sink.points.dropped", "reason:unsupported_signal");
    }

    /** The series URL currently in use. */
    URI seriesUri() {
        return intake.uri();
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        IntakeClient.Target target;
        switch (intake.prepare()) {
            case IntakeClient.Blocked blocked -> {
                return done(blocked.result());
            }
            case IntakeClient.Target ready -> target = ready;
        }

        SeriesEncoder.Grouped grouped = SeriesEncoder.group(batch);
        if (grouped.points() == 0) {
            countDropped(grouped);
            return done(ExportResult.SUCCESS);
        }
        SeriesEncoder.Outcome outcome = encoder.encode(grouped, target.agent().globalTags());
        if (outcome instanceof SeriesEncoder.OverLimit over) {
            return done(new ExportResult.TooLarge(over.reason()));
        }
        SeriesEncoder.Encoded encoded = (SeriesEncoder.Encoded) outcome;
        // Counted only once the batch is final: a retried batch would count its bad points again.
        return intake.send(target, encoded.body(), encoded.length(), () -> countDropped(grouped));
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

    private static CompletionStage<ExportResult> done(ExportResult result) {
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public String toString() {
        return "DatadogMetricsSink[" + context.instanceName() + " -> " + intake.describe() + ", "
                + config.compression().contentEncoding() + "]";
    }
}
