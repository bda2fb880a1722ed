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
import java.util.concurrent.atomic.AtomicReference;

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

    /**
     * The last export's outcome: the next batch is sent only once it is a success. The platform gives this sink two
     * exports at once ({@link DatadogLogsSinkFactory#exportsInFlight}), one call at a time: the second is encoded and
     * compressed while the first is out, and goes out after it, so that batches reach the intake in the order they
     * were logged, as with one export at a time.
     */
    private CompletableFuture<ExportResult> previous = CompletableFuture.completedFuture(ExportResult.SUCCESS);

    /**
     * The last batch's JSON buffer, written over by the next: a new one for every batch, grown as it filled, was a
     * sixth of what the agent allocated under a logs load. Taken and given back atomically, so that two exports can
     * never write into the same one. Kept only up to a common batch's size.
     */
    private final AtomicReference<byte[]> spareJson = new AtomicReference<>();
    private static final int MAX_SPARE_JSON_BYTES = 1024 * 1024;

    /**
     * What an export does once the one before it is done: send, or answer at once. Only the counts of
     * {@code encoded} are read after {@code prepare}: its JSON buffer is the next batch's ({@link #spareJson}).
     */
    private record Prepared(ExportResult answer, LogsIntake.Target target, LogsCompression.Body body,
                            LogEncoder.Encoded encoded, int unsupported) {
        static Prepared answer(ExportResult answer, int unsupported) {
            return new Prepared(answer, null, null, null, unsupported);
        }
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        CompletableFuture<ExportResult> outcome = new CompletableFuture<>();
        CompletableFuture<ExportResult> before;
        if (!config.inOrder()) {
            before = CompletableFuture.completedFuture(ExportResult.SUCCESS); // max-concurrent-sends: nothing waits
        } else {
            synchronized (this) {
                // Only an export still out holds this one back: one that ended before this call was already seen by
                // the platform, which gives a failed batch again before anything younger. (An export that ends during
                // the hand-over of this one is taken as ended before it: this batch may then arrive before that one's
                // retry.)
                before = previous.isDone() ? CompletableFuture.completedFuture(ExportResult.SUCCESS) : previous;
                previous = outcome;
            }
        }
        Prepared prepared = prepare(batch);
        before.whenComplete((earlier, failure) -> {
            if (!(earlier instanceof ExportResult.Success)) {
                // Sent after a batch the intake has not taken, it would arrive before that one's retry.
                outcome.complete(new ExportResult.Retryable("not sent: the batch before it was not accepted; both "
                        + "are sent again, in order"));
            } else if (prepared.answer() != null) {
                outcome.complete(prepared.answer());
            } else {
                CompletableFuture<ExportResult> posted = intake.post(prepared.target(), prepared.body().bytes(),
                        prepared.body().length()).toCompletableFuture();
                posted.whenComplete((result, error) -> {
                    if (error != null) {
                        outcome.completeExceptionally(error);
                    } else {
                        outcome.complete(result);
                    }
                });
                IntakeClient.abortWhenAbandoned(outcome, posted);
            }
        });
        CompletableFuture<ExportResult> exported = outcome.thenApply(result -> {
            // Counted only once the batch is final: a retried batch would count its logs again.
            if (result instanceof ExportResult.Success) {
                countUnsupported(prepared.unsupported());
                LogEncoder.Encoded encoded = prepared.encoded();
                if (encoded != null) {
                    logsSent.add(encoded.logs());
                    if (encoded.truncated() > 0) {
                        logsTruncated.add(encoded.truncated());
                        log.warn("log_truncated", encoded.truncated() + " logs had a message over "
                                + LogEncoder.MAX_MESSAGE_BYTES + " bytes, the most the logs intake takes; they were"
                                + " cut and end with " + LogEncoder.TRUNCATION_MARKER);
                    }
                }
            }
            return result;
        });
        // The platform gives up on an export by completing this stage (its request-timeout): the request goes too,
        // and the batch after it is not sent.
        IntakeClient.abortWhenAbandoned(exported, outcome);
        return exported;
    }

    /** Encodes and compresses the batch, or says why it is not sent. */
    private Prepared prepare(List<Signal> batch) {
        LogsIntake.Target target;
        switch (intake.prepare()) {
            case LogsIntake.Blocked blocked -> {
                return Prepared.answer(blocked.result(), 0);
            }
            case LogsIntake.Target ready -> target = ready;
        }
        String agentHostname = target.agent().hostname() == null ? "" : target.agent().hostname();
        try {
            byte[] spare = spareJson.getAndSet(null);
            switch (LogEncoder.encode(batch, agentHostname, spare)) {
                case LogEncoder.OverLimit over -> {
                    return Prepared.answer(new ExportResult.TooLarge(over.reason()), 0);
                }
                case LogEncoder.NothingToSend nothing -> {
                    return Prepared.answer(ExportResult.SUCCESS, nothing.unsupported());
                }
                case LogEncoder.Encoded encoded -> {
                    LogsCompression.Body body = compression.compress(encoded.json(), 0, encoded.length(),
                            config.gzipLevel());
                    // The body is a copy (compressed, or copied when not): the JSON buffer serves the next batch.
                    if (encoded.json().length <= MAX_SPARE_JSON_BYTES) {
                        spareJson.set(encoded.json());
                    }
                    return new Prepared(null, target, body, encoded, encoded.unsupported());
                }
            }
        } catch (RuntimeException e) {
            // A bug in the encoder: report it with the batch rather than throw out of export.
            log.error("encoding_failed", "could not encode a batch of " + batch.size() + " logs", e);
            return Prepared.answer(new ExportResult.Permanent("could not encode a batch of " + batch.size()
                    + " logs: " + e), 0);
        }
    }

    private void countUnsupported(int unsupported) {
        if (unsupported > 0) {
            unsupportedDropped.add(unsupported);
            log.warn("unsupported_signal", "dropped " + unsupported
                    + " signals that are not logs; route only logs to a datadog-logs sink");
        }
    }

    @Override
    public String toString() {
        return "DatadogLogsSink[" + context.instanceName() + " -> " + intake.describe() + ", "
                + compression.label() + "]";
    }
}
