package io.pilotfish.collector.ecsmetadata;

import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Signal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Each scrape refreshes the task metadata and reports the task's lifecycle. A failed or impossible refresh is logged
 * (rate-limited), counted in {@code collector.errors} by reason, and ends the scrape normally: the next successful
 * refresh reports whatever changed in between.
 */
final class EcsMetadataScraper implements Scraper {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final PluginContext context;
    private final TaskLifecycle lifecycle;
    private final SelfTelemetry.Counter scrapes;
    private final Map<String, SelfTelemetry.Counter> errors = new ConcurrentHashMap<>();
    private volatile boolean lastRefreshFailed;

    EcsMetadataScraper(EcsMetadataConfig config, PluginContext context) {
        this.context = context;
        this.lifecycle = new TaskLifecycle(config);
        this.scrapes = context.telemetry().counter("collector.scrapes");
    }

    @Override
    public CompletionStage<Void> scrape(Emitter emitter) {
        scrapes.increment();
        TaskMetadataSource metadata = context.metadata();
        if (!metadata.available()) {
            lastRefreshFailed = true;
            error("metadata_unavailable", "no ECS task metadata endpoint is configured (ECS_CONTAINER_METADATA_URI_V4"
                    + " is not set), so there is no task lifecycle to report; this collector works inside an ECS task");
            return DONE;
        }
        return refresh(metadata).handle((snapshot, failure) -> {
            if (failure != null) {
                lastRefreshFailed = true;
                error("metadata_refresh_failed", "could not refresh the task metadata; changes are reported after the"
                        + " next successful refresh: " + message(failure));
            } else {
                lastRefreshFailed = false;
                emitSafely(emitter, () -> lifecycle.observe(snapshot, context.clock().instant()));
            }
            return null;
        });
    }

    /**
     * At shutdown: one more view so a short-lived task still reports its final state. When the last refresh worked,
     * refresh again (the end of a task is when containers stop, and those events matter most); otherwise, or if that
     * fails, emit the gauges of the last view once more rather than wait on an endpoint that is not answering.
     */
    @Override
    public CompletionStage<Void> flush(Emitter emitter) {
        TaskMetadataSource metadata = context.metadata();
        if (!metadata.available()) {
            return DONE;
        }
        if (lastRefreshFailed) {
            emitLastGauges(metadata, emitter);
            return DONE;
        }
        return refresh(metadata).handle((snapshot, failure) -> {
            if (failure == null) {
                emitSafely(emitter, () -> lifecycle.observe(snapshot, context.clock().instant()));
            } else {
                error("metadata_refresh_failed", "could not refresh the task metadata at shutdown; sending the last"
                        + " known state: " + message(failure));
                emitLastGauges(metadata, emitter);
            }
            return null;
        });
    }

    private void emitLastGauges(TaskMetadataSource metadata, Emitter emitter) {
        Optional<TaskSnapshot> last = metadata.current();
        last.ifPresent(snapshot -> emitSafely(emitter, () -> lifecycle.gauges(snapshot, context.clock().instant())));
    }

    private static CompletionStage<TaskSnapshot> refresh(TaskMetadataSource metadata) {
        try {
            return metadata.refresh();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void emitSafely(Emitter emitter, Supplier<List<? extends Signal>> signals) {
        List<? extends Signal> produced;
        try {
            synchronized (lifecycle) {
                produced = signals.get();
            }
        } catch (RuntimeException e) {
            count("internal_error");
            context.log().error("internal_error", "turning task metadata into lifecycle signals failed", e);
            return;
        }
        emitter.emitAll(produced);
    }

    private void error(String reason, String message) {
        count(reason);
        context.log().warn(reason, message);
    }

    private void count(String reason) {
        errors.computeIfAbsent(reason, r -> context.telemetry().counter("collector.errors", "reason:" + r))
                .increment();
    }

    private static String message(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
