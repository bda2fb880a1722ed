package io.pilotfish.sink.datadog.sketches;

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
 * Sends sketch batches to {@code POST /api/beta/sketches} as protobuf. Encoding and compression run in
 * {@link #export} (the platform calls it off the event loops); the request itself is asynchronous. The sink never
 * retries: it classifies.
 */
final class DatadogSketchesSink implements Sink {

    static final String SKETCHES_PATH = "/api/beta/sketches";
    /** Shorter than the platform's default export timeout (15 s), so a late answer is never mistaken for none. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final DatadogSketchesConfig config;
    private final PluginContext context;
    private final SketchEncoder encoder;
    private final IntakeClient intake;
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
        this.encoder = new SketchEncoder(config.compression(), config.maxPayloadBytes(),
                config.maxUncompressedBytes());
        this.intake = new IntakeClient(context, config.url(), SKETCHES_PATH, IntakeRequest.PROTOBUF,
                config.compression(), requestTimeout);
        this.log = context.log();
        SelfTelemetry telemetry = context.telemetry();
        this.droppedInvalidValue = telemetry.counter("sink.points.dropped", "reason:invalid_value");
        this.droppedInvalidBins = telemetry.counter("sink.points.dropped", "reason:invalid_bins");
        this.droppedInvalidName = telemetry.counter("sink.points.dropped", "reason:invalid_name");
        this.droppedUnsupported = telemetry.counter("sink.points.dropped", "reason:unsupported_signal");
    }

    /** The sketches URL currently in use. */
    URI sketchesUri() {
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

        SketchEncoder.Grouped grouped;
        SketchEncoder.Outcome outcome;
        try {
            // Global tags are read at each export, so a reload applies to the next batch.
            grouped = SketchEncoder.group(batch, target.agent().globalTags());
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

        // Counted only once the batch is final: a retried batch would count its bad sketches again.
        return intake.send(target, encoded.body(), encoded.length(), () -> countDropped(grouped));
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
        return "DatadogSketchesSink[" + context.instanceName() + " -> " + intake.describe() + ", "
                + config.compression().contentEncoding() + "]";
    }
}
