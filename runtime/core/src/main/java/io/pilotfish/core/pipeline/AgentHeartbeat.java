package io.pilotfish.core.pipeline;

import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import io.pilotfish.spi.signal.MetricOrigin;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The Datadog Agent's own liveness signals, which monitors and the Agent pages of Datadog are built on: at every
 * flush (15 s) the gauge {@code datadog.agent.running} = 1 tagged {@code version:<agent version>}, and the service
 * check {@code datadog.agent.up} = OK tagged like data without an origin (the task's tags at low cardinality, as the
 * Agent's tagger adds its global tags). Neither is billed as a custom metric. The first beat waits (briefly) for the
 * task metadata so it carries the task's tags like every later one.
 */
final class AgentHeartbeat implements Scraper {

    static final String NAME = "pilotfish-heartbeat";
    /** The Datadog Agent's flush interval. */
    static final Duration INTERVAL = Duration.ofSeconds(15);
    static final String RUNNING_METRIC = "datadog.agent.running";
    static final String UP_CHECK = "datadog.agent.up";
    /** How long the first beat waits for the task metadata before going out with what there is. */
    static final Duration FIRST_METADATA_WAIT = Duration.ofSeconds(5);

    private final PluginContext context;

    /** @param context the platform's context, whose agent settings follow reloads (host name, version) */
    AgentHeartbeat(PluginContext context) {
        this.context = context;
    }

    @Override
    public CompletionStage<Void> scrape(Emitter emitter) {
        TaskMetadataSource metadata = context.metadata();
        if (!metadata.available() || metadata.current().isPresent()) {
            beat(emitter, metadata.current());
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<TaskSnapshot> first;
        try {
            first = metadata.refresh().toCompletableFuture();
        } catch (RuntimeException e) {
            first = CompletableFuture.failedFuture(e);
        }
        return first.completeOnTimeout(null, FIRST_METADATA_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .handle((snapshot, error) -> {
                    beat(emitter, metadata.current());
                    return null;
                });
    }

    private void beat(Emitter emitter, Optional<TaskSnapshot> task) {
        long now = context.clock().instant().getEpochSecond();
        TagSet taskTags = task.map(snapshot -> snapshot.taskTags(Cardinality.LOW)).orElse(TagSet.EMPTY);
        String host = context.agent().hostname();
        Metric running = new Metric(RUNNING_METRIC, io.pilotfish.spi.signal.MetricType.GAUGE, 1, now,
                TagSet.of("version:" + context.agent().version()), 0, "", host,
                new MetricOrigin(MetricOrigin.AGENT_PRODUCT, 0, 0));
        ServiceCheck up = new ServiceCheck(UP_CHECK, ServiceCheck.Status.OK, now, taskTags, "", host);
        emitter.emitAll(List.of(running, up));
    }
}
