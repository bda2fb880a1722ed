package io.pilotfish.sink.datadog.logs;

import io.pilotfish.sink.datadog.common.IntakeClient;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sends each batch of log records as one compressed JSON array to {@code POST /api/v2/logs}. Encoding and
 * compression run in {@link #export} (the platform calls it off the event loops); the request is asynchronous. The
 * sink never retries or splits by itself: it classifies, and the platform retries or splits the batch.
 */
final class DatadogLogsSink implements Sink {

    static final String LOGS_PATH = "/api/v2/logs";
    /** Shorter than the platform's default export timeout (15 s), so a late answer is never mistaken for none. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final DatadogLogsConfig config;
    private final PluginContext context;
    private final LogsIntake intake;
    private final PluginLog log;
    /** The configured compression, unless this JVM cannot run it ({@link LogsCompression#usable}). */
    private final LogsCompression compression;

    private final SelfTelemetry.Counter logsSent;
    private final SelfTelemetry.Counter logsTruncated;
    private final SelfTelemetry.Counter unsupportedDropped;

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} when no {@code url} is set and the site is unusable
     */
    DatadogLogsSink(DatadogLogsConfig config, PluginContext context) {
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.log = context.log();
        Optional<String> zstdProblem = config.compression() == LogsCompression.ZSTD ? LogsCompression.zstdProblem()
                : Optional.empty();
        this.compression = LogsCompression.usable(config.compression(), zstdProblem);
        zstdProblem.ifPresent(why -> log.warn("zstd_unavailable", "the zstd compressor cannot run in this JVM (" + why
                + "); logs are sent gzip-compressed instead. Allow it with the JVM option "
                + "--sun-misc-unsafe-memory-access=allow, or set compression to gzip to silence this"));
        this.intake = new LogsIntake(context, config.url(), LOGS_PATH, compression, REQUEST_TIMEOUT);
        SelfTelemetry telemetry = context.telemetry();
        this.logsSent = telemetry.counter("sink.logs.sent");
        this.logsTruncated = telemetry.counter("sink.logs.truncated");
        this.unsupportedDropped = telemetry.counter("sink.signals.dropped", "reason:unsupported_signal");
    }

    /** The logs URL currently in use. */
    URI logsUri() {
        return intake.uri();
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        LogsIntake.Target target;
        switch (intake.prepare()) {
            case LogsIntake.Blocked blocked -> {
                return done(blocked.result());
            }
            case LogsIntake.Target ready -> target = ready;
        }
        String agentHostname = target.agent().hostname() == null ? "" : target.agent().hostname();
        LogEncoder.Encoded encoded;
        LogsCompression.Body body;
        try {
            switch (LogEncoder.encode(batch, agentHostname)) {
                case LogEncoder.OverLimit over -> {
                    return done(new ExportResult.TooLarge(over.reason()));
                }
                case LogEncoder.NothingToSend nothing -> {
                    countUnsupported(nothing.unsupported());
                    return done(ExportResult.SUCCESS);
                }
                case LogEncoder.Encoded ready -> encoded = ready;
            }
            body = compression.compress(encoded.json(), 0, encoded.length(), config.gzipLevel());
        } catch (RuntimeException e) {
            // A bug in the encoder: report it with the batch rather than throw out of export.
            log.error("encoding_failed", "could not encode a batch of " + batch.size() + " logs", e);
            return done(new ExportResult.Permanent("could not encode a batch of " + batch.size() + " logs: " + e));
        }
        CompletableFuture<ExportResult> posted = intake.post(target, body.bytes(), body.length()).toCompletableFuture();
        CompletableFuture<ExportResult> exported = posted.thenApply(result -> {
            // Counted only once the batch is final: a retried batch would count its logs again.
            if (result instanceof ExportResult.Success) {
                logsSent.add(encoded.logs());
                if (encoded.truncated() > 0) {
                    logsTruncated.add(encoded.truncated());
                    log.warn("log_truncated", encoded.truncated() + " logs had a message over "
                            + LogEncoder.MAX_MESSAGE_BYTES + " bytes, the most the logs intake takes; they were cut"
                            + " and end with " + LogEncoder.TRUNCATION_MARKER);
                }
                countUnsupported(encoded.unsupported());
            }
            return result;
        });
        // The platform gives up on an export by completing this stage (its request-timeout): the request goes too.
        IntakeClient.abortWhenAbandoned(exported, posted);
        return exported;
    }

    private void countUnsupported(int unsupported) {
        if (unsupported > 0) {
            unsupportedDropped.add(unsupported);
            log.warn("unsupported_signal", "dropped " + unsupported
                    + " signals that are not logs; route only logs to a datadog-logs sink");
        }
    }

    private static CompletionStage<ExportResult> done(ExportResult result) {
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public String toString() {
        return "DatadogLogsSink[" + context.instanceName() + " -> " + intake.describe() + ", "
                + compression.label() + "]";
    }
}
