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
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Sends batches of APM stats to {@code POST /api/v0.2/stats} as gzip-compressed msgpack {@code StatsPayload}s, one
 * request per payload ({@link StatsPayloadEncoder}: at most 4,000 groups each, tracer- and agent-computed stats
 * apart). Payloads go one after the other; the first answer worth a retry (no answer, 408, 429, 5xx, a rejected key)
 * ends the export with it, and the retry sends only what was not settled ({@link SettledParts}). A payload refused for
 * good (4xx, 413) after another of the batch was accepted is dropped and counted here; when nothing of the batch was
 * accepted, the refusal is the batch's result and the platform drops (or splits) it.
 *
 * <p>One export runs at a time even when the platform stopped waiting for the previous one (its request timeout):
 * the next starts once every request of the previous one was answered, so an acceptance that came late is seen before
 * the retry decides what to send.
 */
final class DatadogApmStatsSink implements Sink {

    static final String STATS_PATH = "/api/v0.2/stats";
    static final String CONTENT_TYPE = "application/msgpack";
    /** Shorter than the platform's default export timeout (15 s). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Unfinished batches remembered; a live one is always among the newest. */
    static final int SETTLED_CAPACITY = 64;

    private final DatadogApmStatsConfig config;
    private final PluginContext context;
    private final TraceIntake intake;
    private final PluginLog log;
    private final SettledParts settled = new SettledParts(SETTLED_CAPACITY);

    private final SelfTelemetry.Counter groupsSent;
    private final SelfTelemetry.Counter splitPayloadsSent;
    private final SelfTelemetry.Counter groupsRejected;
    private final SelfTelemetry.Counter groupsTooLarge;
    private final SelfTelemetry.Counter unsupportedDropped;

    /** Completes when every request of the latest export has been answered. */
    private CompletableFuture<Void> previousExport = CompletableFuture.completedFuture(null);

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} when no {@code url} is set and the site is unusable
     */
    DatadogApmStatsSink(DatadogApmStatsConfig config, PluginContext context) {
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.intake = new TraceIntake(context, config.url(), STATS_PATH, CONTENT_TYPE, REQUEST_TIMEOUT);
        this.log = context.log();
        SelfTelemetry telemetry = context.telemetry();
        this.groupsSent = telemetry.counter("sink.apm_stats.groups.sent");
        this.splitPayloadsSent = telemetry.counter("sink.apm_stats.payloads.split");
        this.groupsRejected = telemetry.counter("sink.apm_stats.groups.dropped", "reason:rejected");
        this.groupsTooLarge = telemetry.counter("sink.apm_stats.groups.dropped", "reason:too_large");
        this.unsupportedDropped = telemetry.counter("sink.signals.dropped", "reason:unsupported_signal");
    }

    /** The stats URL currently in use. */
    URI statsUri() {
        return intake.uri();
    }

    /** How many unfinished batches are remembered (for tests: 0 once every batch has ended). */
    int rememberedBatches() {
        return settled.size();
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        Export export = new Export(List.copyOf(batch));
        CompletableFuture<Void> previous;
        synchronized (this) {
            previous = previousExport;
            previousExport = export.answered;
        }
        // Normally the previous export is long done and this runs at once, on the caller's thread.
        previous.whenComplete((ignored, error) -> export.start());
        return export.result;
    }

    /** The life of one export: plan the payloads, send those still open one by one, conclude. */
    private final class Export {
        final List<Signal> batch;
        final CompletableFuture<ExportResult> result = new CompletableFuture<>();
        final CompletableFuture<Void> answered = new CompletableFuture<>();

        private TraceIntake.Target target;
        private AgentIdentity identity;
        private StatsPayloadEncoder.Plan plan;
        private SettledParts.Fate[] fates;
        private int next;
        /** The first answer worth a retry; sending stops there. */
        private ExportResult transientFailure;
        /** Per part, the intake's refusal for good (Permanent or TooLarge) in this attempt. */
        private ExportResult[] refusals;

        Export(List<Signal> batch) {
            this.batch = batch;
        }

        void start() {
            try {
                switch (intake.prepare()) {
                    case TraceIntake.Blocked blocked -> {
                        finish(blocked.result());
                        return;
                    }
                    case TraceIntake.Target ready -> target = ready;
                }
                identity = AgentIdentity.resolve(config.hostname(), config.env(), target.agent());
                plan = StatsPayloadEncoder.plan(batch, config.maxGroupsPerPayload());
                fates = settled.fates(batch, plan.parts().size());
                refusals = new ExportResult[fates.length];
                sendNext();
            } catch (RuntimeException e) {
                // A bug in the encoder: report it with the batch rather than lose the export.
                log.error("encoding_failed", "could not encode a batch of " + batch.size() + " APM stats", e);
                finish(new ExportResult.Permanent("could not encode a batch of " + batch.size() + " APM stats: "
                        + e));
            }
        }

        /** Sends the open parts in order; a loop, so answers that are already there do not nest calls. */
        private void sendNext() {
            while (true) {
                while (next < fates.length && fates[next] != null) {
                    next++;
                }
                if (next >= fates.length || transientFailure != null) {
                    conclude();
                    return;
                }
                int index = next++;
                CompletableFuture<ExportResult> sent = send(plan.parts().get(index)).toCompletableFuture();
                if (!sent.isDone()) {
                    sent.whenComplete((answer, failure) -> {
                        record(index, answer, failure);
                        sendNext();
                    });
                    return;
                }
                record(index, sent.getNow(null), null);
            }
        }

        private CompletionStage<ExportResult> send(StatsPayloadEncoder.Part part) {
            Gzip.Body body;
            try {
                MsgpackBuffer payload = StatsPayloadEncoder.encode(part, identity, target.agent().version());
                body = Gzip.compress(payload.buffer(), 0, payload.position());
            } catch (RuntimeException e) {
                // A bug in the encoder: this payload is refused, the others still go.
                log.error("encoding_failed", "could not encode an APM stats payload of " + part.groups()
                        + " groups", e);
                return CompletableFuture.completedFuture(new ExportResult.Permanent(
                        "could not encode an APM stats payload of " + part.groups() + " groups: " + e));
            }
            return intake.post(target, body.bytes(), body.length(), part.languages());
        }

        private void record(int index, ExportResult answer, Throwable failure) {
            if (failure != null || answer == null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                answer = new ExportResult.Retryable("unexpected error sending APM stats to " + target.host() + ": "
                        + target.key().redact(String.valueOf(cause)));
            }
            StatsPayloadEncoder.Part part = plan.parts().get(index);
            switch (answer) {
                case ExportResult.Success success -> {
                    fates[index] = SettledParts.Fate.ACCEPTED;
                    groupsSent.add(part.groups());
                    if (part.split()) {
                        splitPayloadsSent.increment();
                    }
                }
                // TraceIntake has warned api_key_rejected; the data is kept while the key is re-read.
                case ExportResult.CredentialsRejected rejected -> transientFailure = rejected;
                case ExportResult.Retryable retry -> transientFailure = retry;
                case ExportResult.Permanent permanent -> refusals[index] = permanent;
                case ExportResult.TooLarge tooLarge -> refusals[index] = tooLarge;
            }
        }

        private void conclude() {
            boolean anyAccepted = false;
            for (SettledParts.Fate fate : fates) {
                anyAccepted |= fate == SettledParts.Fate.ACCEPTED;
            }
            ExportResult firstRefusal = null;
            for (int i = 0; i < refusals.length; i++) {
                if (refusals[i] != null && anyAccepted) {
                    // Part of the batch is in: what the intake refused for good is dropped here, not retried.
                    drop(i, refusals[i]);
                } else if (refusals[i] != null && firstRefusal == null) {
                    firstRefusal = refusals[i];
                }
            }
            if (transientFailure != null) {
                settled.remember(batch, fates);
                finish(transientFailure);
            } else if (firstRefusal != null) {
                // Nothing of the batch was accepted: the refusal is the batch's, for the platform to count or split.
                finish(firstRefusal);
            } else {
                countUnsent();
                finish(ExportResult.SUCCESS);
            }
        }

        private void drop(int index, ExportResult refusal) {
            fates[index] = SettledParts.Fate.DROPPED;
            StatsPayloadEncoder.Part part = plan.parts().get(index);
            boolean tooLarge = refusal instanceof ExportResult.TooLarge;
            (tooLarge ? groupsTooLarge : groupsRejected).add(part.groups());
            log.warn(tooLarge ? "stats_too_large" : "stats_rejected", "dropped an APM stats payload of "
                    + part.groups() + " groups that the trace intake refused (" + reason(refusal)
                    + "); the rest of the batch was accepted");
        }

        private void countUnsent() {
            if (plan != null && plan.unsupported() > 0) {
                unsupportedDropped.add(plan.unsupported());
                log.warn("unsupported_signal", "dropped " + plan.unsupported()
                        + " signals that are not APM stats; route only APM stats to a datadog-apm-stats sink");
            }
        }

        private void finish(ExportResult outcome) {
            boolean ends = outcome instanceof ExportResult.Success || outcome instanceof ExportResult.Permanent
                    || outcome instanceof ExportResult.TooLarge;
            if (ends) {
                settled.forget(batch);
            }
            // The platform completes the result itself when it stops waiting (its request timeout); it then retries
            // this batch, which must find what was accepted.
            if (!result.complete(outcome) && ends && fates != null) {
                settled.remember(batch, fates);
            }
            answered.complete(null);
        }
    }

    private static String reason(ExportResult result) {
        return switch (result) {
            case ExportResult.Permanent permanent -> permanent.reason();
            case ExportResult.TooLarge tooLarge -> tooLarge.reason();
            default -> String.valueOf(result);
        };
    }

    @Override
    public String toString() {
        return "DatadogApmStatsSink[" + context.instanceName() + " -> " + intake.describe() + ", gzip, "
                + config.maxGroupsPerPayload() + " groups per payload]";
    }
}
