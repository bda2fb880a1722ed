package io.pilotfish.collector.containerstats;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadata;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskMetadataSource.MetadataException;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Each scrape refreshes the task metadata, fetches {@code /task/stats}, converts it with the metadata and emits the
 * metrics, then (on Fargate) the {@code fargate_check} service check the outcome calls for. Every failure is logged
 * (rate-limited), counted in {@code collector.errors} by reason, and ends the scrape normally.
 */
final class ContainerStatsScraper implements Scraper {

    static final String STATS_PATH = "/task/stats";

    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    private final ContainerStatsConfig config;
    private final PluginContext context;
    private final StatsConverter converter;
    private final SelfTelemetry.Counter scrapes;
    private final SelfTelemetry.Counter metricsEmitted;
    private final Map<String, SelfTelemetry.Counter> errors = new ConcurrentHashMap<>();

    // Scrapes never overlap (the platform's promise), but each one completes on another thread.
    private volatile SampleHistory history = SampleHistory.empty();

    ContainerStatsScraper(ContainerStatsConfig config, PluginContext context) {
        this.config = config;
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
        if (!metadata.available()) {
            // Outside a task there is no Fargate to report on, so no fargate_check either.
            error("metadata_unavailable", "no ECS task metadata endpoint is configured "
                    + "(ECS_CONTAINER_METADATA_URI_V4 is not set), so there are no container stats to collect");
            return DONE;
        }
        // Like the ecs_fargate check, read /task on every run: its outcome is the first verdict of fargate_check, and
        // tags and restart counts come from a current view (concurrent refreshes share one request).
        return attempt(metadata::refresh)
                .handle((fresh, failure) -> failure == null && fresh != null ? TaskRead.of(fresh)
                        : TaskRead.failed(failure == null ? new MetadataException("the refresh gave no task metadata")
                                : unwrap(failure)))
                .thenCompose(read -> {
                    try {
                        return withTask(read, now, emitter);
                    } catch (RuntimeException e) {
                        count("internal_error");
                        context.log().error("internal_error", "judging the task metadata read failed", e);
                        return DONE;
                    }
                });
    }

    private CompletionStage<Void> withTask(TaskRead read, Instant now, Emitter emitter) {
        TaskSnapshot snapshot = read.fresh() != null ? read.fresh() : context.metadata().current().orElse(null);
        if (snapshot == null) {
            // Never read: the launch type is unknown, so whether fargate_check applies is unknown too.
            error("metadata_unavailable", "the task metadata could not be read yet (" + message(read.failure())
                    + "); container stats are skipped until it can");
            return DONE;
        }
        FargateCheck.Verdict verdict = FargateCheck.Verdict.OK;
        if (read.fresh() == null) {
            error("metadata_refresh_failed", "refreshing the task metadata failed (" + message(read.failure())
                    + "); tagging with the metadata read at " + snapshot.fetchedAt());
            verdict = FargateCheck.taskNotRead(read.failure(), snapshot);
        } else {
            List<String> missing = missingCriticalFields(snapshot.task());
            if (!missing.isEmpty()) {
                error("metadata_incomplete", "the task metadata has no " + String.join(" and ", missing)
                        + "; stats of containers it does not list are skipped");
                verdict = FargateCheck.taskIncomplete(missing);
            }
        }
        return scrapeWith(snapshot, verdict, now, emitter);
    }

    private CompletionStage<Void> scrapeWith(TaskSnapshot snapshot, FargateCheck.Verdict taskVerdict, Instant now,
                                             Emitter emitter) {
        TaskMetadataSource metadata = context.metadata();
        return attempt(() -> metadata.get(STATS_PATH))
                .thenApply(StatsParser::parse)
                .handle((stats, failure) -> {
                    FargateCheck.Verdict verdict = taskVerdict;
                    try {
                        if (failure == null) {
                            emit(stats, snapshot, now, emitter);
                        } else {
                            Throwable cause = unwrap(failure);
                            fetchFailed(cause, snapshot, now, emitter);
                            verdict = verdict.then(FargateCheck.statsNotRead(cause));
                        }
                    } catch (RuntimeException e) {
                        count("internal_error");
                        context.log().error("internal_error", "converting container stats failed", e);
                    }
                    reportFargateCheck(snapshot, verdict, now, emitter);
                    return null;
                });
    }

    private void emit(Map<String, JsonNode> stats, TaskSnapshot snapshot, Instant now, Emitter emitter) {
        StatsConversion conversion = converter.convert(stats, snapshot, history, now);
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
                    + message(failure) + "); no container stats this scrape");
        }
        // Limits and ephemeral storage come from the metadata alone, so they are still sent (as the check does).
        send(converter.metadataMetrics(snapshot, now), emitter);
    }

    /**
     * fargate_check belongs to the ecs_fargate check, which the Agent runs only on Fargate and which also sends the
     * ecs.fargate.* set: no set, no check.
     */
    private void reportFargateCheck(TaskSnapshot snapshot, FargateCheck.Verdict verdict, Instant now,
                                    Emitter emitter) {
        if (config.fargateMetrics() && TaskPlatform.of(snapshot.task()) == TaskPlatform.FARGATE) {
            emitter.emit(verdict.toServiceCheck(now.getEpochSecond(), context.agent().hostname(),
                    snapshot.taskTags(io.pilotfish.spi.ecs.Cardinality.LOW)));
        }
    }

    /** What the ecs_fargate check requires of a /task answer before it goes on. */
    private static List<String> missingCriticalFields(TaskMetadata task) {
        List<String> missing = new ArrayList<>(2);
        if (task.cluster().isEmpty()) {
            missing.add("Cluster");
        }
        if (task.containers().isEmpty()) {
            missing.add("Containers");
        }
        return missing;
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

    private static String message(Throwable failure) {
        return failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** The outcome of this scrape's /task refresh: a fresh snapshot, or why there is none. */
    private record TaskRead(TaskSnapshot fresh, Throwable failure) {

        static TaskRead of(TaskSnapshot fresh) {
            return new TaskRead(fresh, null);
        }

        static TaskRead failed(Throwable failure) {
            return new TaskRead(null, failure);
        }
    }
}
