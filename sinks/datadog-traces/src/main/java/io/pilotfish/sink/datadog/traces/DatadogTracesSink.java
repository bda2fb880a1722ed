package io.pilotfish.sink.datadog.traces;

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
 * Sends each batch of trace chunks as one gzip-compressed protobuf {@code AgentPayload} to
 * {@code POST /api/v0.2/traces}. Encoding and compression run in {@link #export} (the platform calls it off the
 * event loops); the request is asynchronous. The sink never retries or splits by itself: it classifies, and the
 * platform retries or splits the batch.
 */
final class DatadogTracesSink implements Sink {

    static final String TRACES_PATH = "/api/v0.2/traces";
    static final String CONTENT_TYPE = "application/x-protobuf";
    /** Shorter than the platform's default export timeout (15 s), so a late answer is never mistaken for none. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final DatadogTracesConfig config;
    private final PluginContext context;
    private final TraceIntake intake;
    private final AgentPayloadEncoder encoder;
    private final PluginLog log;

    private final SelfTelemetry.Counter spansSent;
    private final SelfTelemetry.Counter chunksTooLarge;
    private final SelfTelemetry.Counter spansTooLarge;
    private final SelfTelemetry.Counter unsupportedDropped;

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} when no {@code url} is set and the site is unusable
     */
    DatadogTracesSink(DatadogTracesConfig config, PluginContext context) {
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.intake = new TraceIntake(context, config.url(), TRACES_PATH, CONTENT_TYPE, REQUEST_TIMEOUT);
        this.encoder = new AgentPayloadEncoder(config.maxPayloadBytes());
        this.log = context.log();
        SelfTelemetry telemetry = context.telemetry();
        this.spansSent = telemetry.counter("sink.spans.sent");
        this.chunksTooLarge = telemetry.counter("sink.traces.dropped", "reason:too_large");
        this.spansTooLarge = telemetry.counter("sink.spans.dropped", "reason:too_large");
        this.unsupportedDropped = telemetry.counter("sink.signals.dropped", "reason:unsupported_signal");
    }

    /** The traces URL currently in use. */
    URI tracesUri() {
        return intake.uri();
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        TraceIntake.Target target;
        switch (intake.prepare()) {
            case TraceIntake.Blocked blocked -> {
                return done(blocked.result());
            }
            case TraceIntake.Target ready -> target = ready;
        }
        AgentIdentity identity = AgentIdentity.resolve(config.hostname(), config.env(), target.agent());
        AgentPayloadEncoder.AgentFields agent = new AgentPayloadEncoder.AgentFields(identity.hostname(),
                identity.env(), target.agent().version(), config.targetTps(), config.errorTps(),
                config.rareSamplerEnabled());

        AgentPayloadEncoder.Encoded encoded;
        Gzip.Body body;
        try {
            switch (encoder.encode(batch, agent)) {
                case AgentPayloadEncoder.OverLimit over -> {
                    return done(new ExportResult.TooLarge(over.reason()));
                }
                case AgentPayloadEncoder.NothingToSend nothing -> {
                    countDropped(nothing.dropped());
                    return done(ExportResult.SUCCESS);
                }
                case AgentPayloadEncoder.Encoded ready -> encoded = ready;
            }
            body = Gzip.compress(encoded.payload(), 0, encoded.length());
        } catch (RuntimeException e) {
            // A bug in the encoder: report it with the batch rather than throw out of export.
            log.error("encoding_failed", "could not encode a batch of " + batch.size() + " trace chunks", e);
            return done(new ExportResult.Permanent("could not encode a batch of " + batch.size()
                    + " trace chunks: " + e));
        } finally {
            AgentPayloadEncoder.releaseLarge();
        }
        return intake.post(target, body.bytes(), body.length(), encoded.languages()).thenApply(result -> {
            // Counted only once the batch is final: a retried batch would count its dropped chunks again.
            if (result instanceof ExportResult.Success) {
                spansSent.add(encoded.spans());
                countDropped(encoded.dropped());
            }
            return result;
        });
    }

    private void countDropped(AgentPayloadEncoder.Dropped dropped) {
        if (dropped.oversizedChunks() > 0) {
            chunksTooLarge.add(dropped.oversizedChunks());
            spansTooLarge.add(dropped.oversizedSpans());
            log.warn("trace_too_large", "dropped " + dropped.oversizedChunks() + " trace chunks ("
                    + dropped.oversizedSpans() + " spans) whose protobuf alone is over " + config.maxPayloadBytes()
                    + " bytes, the most the trace intake takes in one payload");
        }
        if (dropped.unsupported() > 0) {
            unsupportedDropped.add(dropped.unsupported());
            log.warn("unsupported_signal", "dropped " + dropped.unsupported()
                    + " signals that are not trace chunks; route only traces to a datadog-traces sink");
        }
    }

    private static CompletionStage<ExportResult> done(ExportResult result) {
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public String toString() {
        return "DatadogTracesSink[" + context.instanceName() + " -> " + intake.describe() + ", gzip, "
                + config.maxPayloadBytes() + " bytes per payload]";
    }
}
