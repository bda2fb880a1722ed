package io.pilotfish.collector.containerstats;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Each scrape fetches {@code /task/stats}, converts it with the current task metadata and emits the metrics. Every
 * failure is logged (rate-limited), counted in {@code collector.errors} by reason, and ends the scrape normally.
 */
final class ContainerStatsScraper implements Scraper {

    static final String STATS_PATH = "/task/stats";

    private final PluginContext context;
    private final StatsConverter converter;
    private final SelfTelemetry.Counter scrapes;
    private final SelfTelemetry.Counter metricsEmitted;
    private final Map<String, SelfTelemetry.Counter> errors = new ConcurrentHashMap<>();

    // Scrapes never overlap (the platform's promise), but each one completes on another thread.
    private volatile SampleHistory history = SampleHistory.empty();
    /** Ids that had stats but no metadata at the last scrape; one refresh was already asked for them. */
    private volatile Set<String> refreshedFor = Set.of();

    ContainerStatsScraper(ContainerStatsConfig config, PluginContext context) {
        this.context = context;
        this.converter = new StatsConverter(config);
        this.scrapes = context.telemetry().counter("collector.scrapes");
        this.metricsEmitted = context.telemetry().counter("collector.metrics");
    }

    @Override
    public CompletionStage<Void> scrape(Emitter emitter) {
        scrapes.increment();
        Instant now = context.clock().instant();
        TaskMetadataSource metadata = context.metadata();
        Optional<TaskSnapshot> current = metadata.current();
        if (current.isEmpty()) {
            if (!metadata.available()) {
                error("metadata_unavailable", "no ECS task metadata endpoint is configured "
                        + "(ECS_CONTAINER_METADATA_URI_V4 is not set), so there are no container stats to collect");
                return CompletableFuture.completedFuture(null);
            }
            // First scrape of a short-lived task: fetch the task now rather than waiting for the next interval.
            return attempt(metadata::refresh).handle((snapshot, failure) -> snapshot).thenCompose(snapshot -> {
                if (snapshot == null) {
                    error("metadata_unavailable", "the task metadata endpoint did not answer yet; container stats "
                            + "are skipped until it does");
                    return CompletableFuture.completedFuture(null);
                }
                return scrapeWith(snapshot, now, emitter);
            });
        }
        return scrapeWith(current.get(), now, emitter);
    }

    private CompletionStage<Void> scrapeWith(TaskSnapshot snapshot, Instant now, Emitter emitter) {
        TaskMetadataSource metadata = context.metadata();
        return attempt(() -> metadata.get(STATS_PATH))
                .thenCompose(body -> {
                    Map<String, JsonNode> stats = StatsParser.parse(body);
                    return snapshotCovering(stats, snapshot).thenApply(covering -> new Fetched(stats, covering));
                })
                .handle((fetched, failure) -> {
                    try {
                        if (failure == null) {
                            emit(fetched, now, emitter);
                        } else {
                            fetchFailed(unwrap(failure), snapshot, now, emitter);
                        }
                    } catch (RuntimeException e) {
                        count("internal_error");
                        context.log().error("internal_error", "converting container stats failed", e);
                    }
                    return null;
                });
    }

    private void emit(Fetched fetched, Instant now, Emitter emitter) {
        StatsConversion conversion = converter.convert(fetched.stats(), fetched.snapshot(), history, now);
        history = conversion.history();
        for (StatsConversion.ContainerProblem problem : conversion.problems()) {
            error(problem.reason().tag(), problem.message());
        }
        send(conversion.metrics(), emitter);
    }

    private void fetchFailed(Throwable failure, TaskSnapshot snapshot, Instant now, Emitter emitter) {
        if (failure instanceof MalformedStatsException) {
            error("malformed_stats", failure.getMessage() + "; no container stats this scrape");
        } else {
            error("stats_unavailable", "GET " + STATS_PATH + " from the task metadata endpoint failed ("
                    + failure.getMessage() + "); no container stats this scrape");
        }
        // Limits and ephemeral storage come from the metadata alone, so they are still sent (as the check does).
        send(converter.metadataMetrics(snapshot, now), emitter);
    }

    /**
     * The snapshot to convert with: the current one, or, when the stats name a running container the metadata does
     * not know yet, a fresh one. A refresh is asked for once per unknown container, not on every scrape.
     */
    private CompletionStage<TaskSnapshot> snapshotCovering(Map<String, JsonNode> stats, TaskSnapshot snapshot) {
        Set<String> unknown = new HashSet<>();
        for (Map.Entry<String, JsonNode> entry : stats.entrySet()) {
            JsonNode value = entry.getValue();
            if (value != null && value.isObject() && !value.isEmpty()
                    && snapshot.task().container(entry.getKey()).isEmpty()) {
                unknown.add(entry.getKey());
            }
        }
        Set<String> alreadyRefreshed = refreshedFor;
        refreshedFor = Set.copyOf(unknown);
        if (unknown.isEmpty() || alreadyRefreshed.containsAll(unknown)) {
            return CompletableFuture.completedFuture(snapshot);
        }
        return attempt(() -> context.metadata().refresh()).handle((fresh, failure) -> {
            if (failure != null || fresh == null) {
                context.log().warn("metadata_refresh_failed", "refreshing the task metadata for new containers "
                        + unknown + " failed (" + (failure == null ? "no snapshot" : unwrap(failure).getMessage())
                        + "); their stats are skipped");
                return snapshot;
            }
            return fresh;
        });
    }

    private void send(List<Metric> metrics, Emitter emitter) {
        emitter.emitAll(metrics);
        metricsEmitted.add(metrics.size());
    }

    private void error(String reason, String message) {
        count(reason);
        context.log().warn(reason, message);
    }

    private void count(String reason) {
        errors.computeIfAbsent(reason, r -> context.telemetry().counter("collector.errors", "reason:" + r))
                .increment();
    }

    private static <T> CompletionStage<T> attempt(java.util.function.Supplier<CompletionStage<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private record Fetched(Map<String, JsonNode> stats, TaskSnapshot snapshot) {
    }
}
