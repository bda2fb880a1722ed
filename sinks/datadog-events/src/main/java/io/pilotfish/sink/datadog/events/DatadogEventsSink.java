package io.pilotfish.sink.datadog.events;

import io.pilotfish.sink.datadog.common.IntakeClient;
import io.pilotfish.sink.datadog.common.IntakeRequest;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Sends events to {@code POST /api/v1/events}, one per request (that is the API), up to
 * {@code max-concurrent-requests} at a time, and a batch's service checks to {@code POST /api/v1/check_run} in one
 * request.
 *
 * <p>A batch may end half delivered (some events accepted, one answered 503). The platform then retries the whole
 * batch with the same signal objects; {@link SettledSignals} remembers, by identity, every signal of the batch that
 * was accepted or dropped, and the retry sends only the rest: no duplicates, nothing lost. One export runs at a time
 * even when the platform gave up waiting on the previous one (its request timeout): the next export starts only
 * once every request of the previous one has been answered, so a late acceptance is always seen before the retry
 * decides what to send.
 */
final class DatadogEventsSink implements Sink {

    static final String EVENTS_PATH = "/api/v1/events";
    static final String CHECK_RUN_PATH = "/api/v1/check_run";
    /** Shorter than the platform's default export timeout (15 s), so one slow request does not use it all. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /**
     * The Agent's limits for payloads other than series ({@code serializer_max_payload_size} 2.5 MB compressed,
     * {@code serializer_max_uncompressed_payload_size} 4 MB); the check_run API documents none.
     */
    static final int CHECK_RUN_MAX_PAYLOAD_BYTES = 2_621_440;
    static final int CHECK_RUN_MAX_UNCOMPRESSED_BYTES = 4_194_304;
    static final int SETTLED_CAPACITY = 10 * DatadogEventsSinkFactory.MAX_BATCH_ITEMS;

    private final DatadogEventsConfig config;
    private final PluginContext context;
    /** Posts to the events path; check runs go to {@link #CHECK_RUN_PATH} below the same base. */
    private final IntakeClient intake;
    private final PluginLog log;
    private final SettledSignals settled = new SettledSignals(SETTLED_CAPACITY);

    private final SelfTelemetry.Counter eventsSent;
    private final SelfTelemetry.Counter checksSent;
    private final SelfTelemetry.Counter titlesTruncated;
    private final SelfTelemetry.Counter textsTruncated;
    private final SelfTelemetry.Counter aggregationKeysShortened;
    private final SelfTelemetry.Counter eventsInvalid;
    private final SelfTelemetry.Counter eventsRejected;
    private final SelfTelemetry.Counter checksInvalid;
    private final SelfTelemetry.Counter checksRejected;
    private final SelfTelemetry.Counter unsupportedDropped;

    /** Completes when every request of the latest export has been answered. */
    private CompletableFuture<Void> previousExport = CompletableFuture.completedFuture(null);

    DatadogEventsSink(DatadogEventsConfig config, PluginContext context) {
        this(config, context, REQUEST_TIMEOUT);
    }

    /**
     * @throws IllegalArgumentException when the intake address cannot be derived ({@code DD_SITE}, {@code DD_DD_URL})
     */
    DatadogEventsSink(DatadogEventsConfig config, PluginContext context, Duration requestTimeout) {
        this.config = Objects.requireNonNull(config, "config");
        this.context = Objects.requireNonNull(context, "context");
        this.intake = new IntakeClient(context, config.url(), EVENTS_PATH, IntakeRequest.JSON, config.compression(),
                requestTimeout);
        this.log = context.log();
        SelfTelemetry telemetry = context.telemetry();
        this.eventsSent = telemetry.counter("sink.events.sent");
        this.checksSent = telemetry.counter("sink.service_checks.sent");
        this.titlesTruncated = telemetry.counter("sink.events.truncated", "field:title");
        this.textsTruncated = telemetry.counter("sink.events.truncated", "field:text");
        this.aggregationKeysShortened = telemetry.counter("sink.events.aggregation_keys.shortened");
        this.eventsInvalid = telemetry.counter("sink.events.dropped", "reason:invalid");
        this.eventsRejected = telemetry.counter("sink.events.dropped", "reason:rejected");
        this.checksInvalid = telemetry.counter("sink.service_checks.dropped", "reason:invalid");
        this.checksRejected = telemetry.counter("sink.service_checks.dropped", "reason:rejected");
        this.unsupportedDropped = telemetry.counter("sink.signals.dropped", "reason:unsupported_signal");
    }

    /** The events URL currently in use. */
    URI eventsUri() {
        return intake.uri();
    }

    /** How many signals are remembered as settled (for tests: 0 once every batch has ended). */
    int settledCount() {
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

    /** One request: the check_run payload, or one event. */
    private record Work(boolean checkRun, List<? extends Signal> items, byte[] body,
                        EventEncoder.Truncations truncations, boolean aggregationKeyShortened) {
    }

    /** The life of one export: prepare, send with bounded concurrency, classify the whole. */
    private final class Export {
        final List<Signal> batch;
        final CompletableFuture<ExportResult> result = new CompletableFuture<>();
        final CompletableFuture<Void> answered = new CompletableFuture<>();

        private AgentSettings agent;
        private IntakeClient.Target eventsTarget;
        private IntakeClient.Target checkRunTarget;

        // Guarded by this Export.
        private final ArrayDeque<Work> pending = new ArrayDeque<>();
        private int inFlight;
        private boolean stopped;
        private boolean ended;
        private ExportResult.Permanent permanent;
        private ExportResult.CredentialsRejected credentialsRejected;
        private ExportResult.Retryable retryable;
        private ExportResult.TooLarge tooLarge;
        /** The first payload the intake refused (400, 422); its signals were dropped. */
        private ExportResult.Permanent rejected;

        Export(List<Signal> batch) {
            this.batch = batch;
        }

        void start() {
            try {
                Optional<ExportResult> early = prepare();
                if (early.isPresent()) {
                    synchronized (this) {
                        ended = true;
                    }
                    finish(early.get());
                    return;
                }
            } catch (RuntimeException e) {
                // A bug, not a condition: the platform treats a failed stage as retryable and logs it.
                result.completeExceptionally(e);
                answered.complete(null);
                return;
            }
            pump();
        }

        /** Sorts the batch, counts what cannot be sent and encodes the rest; a result if nothing is to be sent. */
        private Optional<ExportResult> prepare() {
            switch (intake.prepare()) {
                case IntakeClient.Blocked blocked -> {
                    return Optional.of(blocked.result());
                }
                case IntakeClient.Target target -> {
                    eventsTarget = target;
                    checkRunTarget = target.at(CHECK_RUN_PATH);
                    agent = target.agent();
                }
            }

            List<Event> events = new ArrayList<>();
            List<ServiceCheck> checks = new ArrayList<>();
            for (Signal signal : batch) {
                if (settled.contains(signal)) {
                    continue; // accepted or dropped by an earlier attempt at this batch
                }
                switch (signal) {
                    case Event event when event.title().isBlank() -> drop(List.of(event), eventsInvalid, "invalid",
                            "dropped an event without a title (the events API requires one)");
                    case Event event -> events.add(event);
                    case ServiceCheck check when check.name().isBlank() -> drop(List.of(check), checksInvalid,
                            "invalid", "dropped a service check without a check name");
                    case ServiceCheck check -> checks.add(check);
                    default -> drop(List.of(signal), unsupportedDropped, "unsupported_signal", "dropped a "
                            + signal.kind() + " signal; route only events and service checks to a datadog-events "
                            + "sink");
                }
            }
            if (!checks.isEmpty()) {
                Optional<ExportResult> overLimit = addCheckRun(checks);
                if (overLimit.isPresent()) {
                    return overLimit;
                }
            }
            for (Event event : events) {
                EventEncoder.EncodedEvent encoded = EventEncoder.event(event, agent.globalTags());
                byte[] body = config.compression().compress(encoded.json(), 0, encoded.json().length);
                pending.add(new Work(false, List.of(event), body, encoded.truncations(),
                        encoded.aggregationKeyShortened()));
            }
            return Optional.empty();
        }

        /** Queues the check_run request, or says the batch must be split (nothing has been sent yet). */
        private Optional<ExportResult> addCheckRun(List<ServiceCheck> checks) {
            byte[] json = EventEncoder.checks(checks, agent.globalTags());
            String overLimit = null;
            byte[] body = null;
            if (json.length > CHECK_RUN_MAX_UNCOMPRESSED_BYTES) {
                overLimit = "the check_run payload of " + checks.size() + " service checks is " + json.length
                        + " bytes before compression, over " + CHECK_RUN_MAX_UNCOMPRESSED_BYTES;
            } else {
                body = config.compression().compress(json, 0, json.length);
                if (body.length > CHECK_RUN_MAX_PAYLOAD_BYTES) {
                    overLimit = "the check_run payload of " + checks.size() + " service checks is " + body.length
                            + " bytes compressed, over " + CHECK_RUN_MAX_PAYLOAD_BYTES;
                }
            }
            if (overLimit != null) {
                // The platform splits the batch, down to a single check which it drops and counts.
                return Optional.of(new ExportResult.TooLarge(overLimit));
            }
            pending.add(new Work(true, List.copyOf(checks), body, EventEncoder.Truncations.NONE, false));
            return Optional.empty();
        }

        /** Starts requests up to the concurrency limit; ends the export once nothing is in flight or to be sent. */
        private void pump() {
            List<Work> launch = new ArrayList<>();
            ExportResult outcome = null;
            synchronized (this) {
                // The platform completes the result itself when it stops waiting (its request timeout).
                boolean abandoned = result.isDone();
                while (!stopped && !abandoned && inFlight < config.maxConcurrentRequests() && !pending.isEmpty()) {
                    launch.add(pending.poll());
                    inFlight++;
                }
                if (inFlight == 0 && !ended && (pending.isEmpty() || stopped || abandoned)) {
                    ended = true;
                    outcome = outcome();
                }
            }
            for (Work work : launch) {
                send(work);
            }
            if (outcome != null) {
                finish(outcome);
            }
        }

        private void send(Work work) {
            IntakeClient.Target target = work.checkRun() ? checkRunTarget : eventsTarget;
            intake.exchange(target, work.body(), work.body().length)
                    .thenAccept(answer -> handle(work, answer.httpStatus(), answer.result()))
                    .whenComplete((ignored, failure) -> {
                        if (failure != null) {
                            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                    ? failure.getCause() : failure;
                            stopWith(new ExportResult.Retryable("unexpected error handling the answer from "
                                    + target.host() + ": " + target.key().redact(String.valueOf(cause))));
                        }
                        requestEnded();
                    });
        }

        private void requestEnded() {
            synchronized (this) {
                inFlight--;
            }
            pump();
        }

        private void handle(Work work, int status, ExportResult answer) {
            switch (answer) {
                case ExportResult.Success success -> accepted(work);
                // Kept, not dropped: the platform splits the batch and drops what is too large on its own.
                case ExportResult.TooLarge large -> {
                    synchronized (this) {
                        tooLarge = tooLarge == null ? large : tooLarge;
                    }
                }
                // 400 and 422 are about this payload, not the destination: drop it, keep sending the rest.
                case ExportResult.Permanent refused when status == 400 || status == 422 -> {
                    String what = work.checkRun() ? work.items().size() + " service checks" : "an event";
                    drop(work.items(), work.checkRun() ? checksRejected : eventsRejected, "rejected",
                            "dropped " + what + ": " + refused.reason());
                    synchronized (this) {
                        rejected = rejected == null ? refused : rejected;
                    }
                }
                case ExportResult.Permanent refused -> stopWith(refused);
                // IntakeClient has warned api_key_rejected.
                case ExportResult.CredentialsRejected refused -> stopWith(refused);
                case ExportResult.Retryable retry -> stopWith(retry);
            }
        }

        private void accepted(Work work) {
            settled.addAll(work.items(), SettledSignals.Fate.ACCEPTED);
            if (work.checkRun()) {
                checksSent.add(work.items().size());
                return;
            }
            eventsSent.increment();
            if (work.aggregationKeyShortened()) {
                // Expected for task ARNs and the like, and harmless (the key still groups): counted, not warned.
                aggregationKeysShortened.increment();
            }
            EventEncoder.Truncations cut = work.truncations();
            if (cut.any()) {
                List<String> fields = new ArrayList<>(2);
                if (cut.title()) {
                    titlesTruncated.increment();
                    fields.add("title");
                }
                if (cut.text()) {
                    textsTruncated.increment();
                    fields.add("text");
                }
                log.warn("truncated", "sent an event with its " + String.join(", ", fields) + " cut to the "
                        + "events API's limits (title " + EventEncoder.TITLE_MAX_CHARS + ", text "
                        + EventEncoder.TEXT_MAX_CHARS + " characters)");
            }
        }

        /** A failure that ends sending for this export: nothing more is started, requests in flight finish. */
        private void stopWith(ExportResult failure) {
            synchronized (this) {
                stopped = true;
                if (failure instanceof ExportResult.Permanent p && permanent == null) {
                    permanent = p;
                } else if (failure instanceof ExportResult.CredentialsRejected c && credentialsRejected == null) {
                    credentialsRejected = c;
                } else if (failure instanceof ExportResult.Retryable r) {
                    retryable = retryable == null ? r : new ExportResult.Retryable(retryable.reason(),
                            longer(retryable.retryAfter(), r.retryAfter()));
                }
            }
        }

        /**
         * A destination-wide refusal beats a passing failure, which beats a request to split. Payloads the intake
         * refused one by one do not fail the batch, unless nothing of it was delivered at all: then it is Permanent,
         * as for any destination that refuses the whole batch.
         */
        private ExportResult outcome() {
            if (permanent != null) {
                return permanent;
            }
            if (credentialsRejected != null) {
                return credentialsRejected;
            }
            if (retryable != null) {
                return retryable;
            }
            if (tooLarge != null) {
                return tooLarge;
            }
            if (rejected != null && batch.stream().noneMatch(settled::accepted)) {
                return rejected;
            }
            return ExportResult.SUCCESS;
        }

        private void finish(ExportResult outcome) {
            if (outcome instanceof ExportResult.Success || outcome instanceof ExportResult.Permanent) {
                // The platform is done with this batch. Forgotten before the result is seen, so that nobody sees a
                // finished batch still remembered; put back if the platform had already stopped waiting (it
                // retries then). The next export starts only after this, on answered.
                Map<Signal, SettledSignals.Fate> forgotten = settled.forget(batch);
                if (!result.complete(outcome)) {
                    settled.restore(forgotten);
                }
            } else {
                result.complete(outcome);
            }
            answered.complete(null);
        }
    }

    /** Counts and logs signals that will not be sent, and remembers them so a retry does not count them again. */
    private void drop(List<? extends Signal> signals, SelfTelemetry.Counter counter, String kind, String message) {
        settled.addAll(signals, SettledSignals.Fate.DROPPED);
        counter.add(signals.size());
        log.warn(kind, message);
    }

    private static Optional<Duration> longer(Optional<Duration> a, Optional<Duration> b) {
        if (a.isEmpty()) {
            return b;
        }
        if (b.isEmpty()) {
            return a;
        }
        return a.get().compareTo(b.get()) >= 0 ? a : b;
    }

    @Override
    public String toString() {
        return "DatadogEventsSink[" + context.instanceName() + " -> " + intake.describeBase() + ", "
                + config.compression().contentEncoding() + ", " + config.maxConcurrentRequests() + " concurrent]";
    }
}
