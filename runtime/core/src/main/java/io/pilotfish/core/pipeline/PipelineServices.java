package io.pilotfish.core.pipeline;

import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the pipeline shares with every plugin.
 *
 * @param scheduler      timers only; tasks on it are short
 * @param exportExecutor      where sinks encode and send (CPU work kept off the timer thread)
 * @param agent               the settings plugins see at start; {@link Pipeline#apply} replaces them
 * @param credentialsRejected called when a destination refuses the API key, so the agent re-reads it; must not block
 */
public record PipelineServices(Clock clock, ScheduledExecutorService scheduler, Executor exportExecutor,
                               TaskMetadataSource metadata, AgentSettings agent, HttpClient httpClient,
                               TelemetryRegistry telemetry, Runnable credentialsRejected) {

    public PipelineServices(Clock clock, ScheduledExecutorService scheduler, Executor exportExecutor,
                            TaskMetadataSource metadata, AgentSettings agent, HttpClient httpClient,
                            TelemetryRegistry telemetry) {
        this(clock, scheduler, exportExecutor, metadata, agent, httpClient, telemetry, () -> { });
    }
}
