package io.pilotfish.core.plugin;

import io.pilotfish.spi.AgentSettings;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.PluginHealth;
import io.pilotfish.spi.PluginLog;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/** The plain implementation of {@link PluginContext}. */
public record DefaultPluginContext(String instanceName, Clock clock, ScheduledExecutorService scheduler,
                                   TaskMetadataSource metadata, AgentSettings agent, HttpClient httpClient,
                                   SelfTelemetry telemetry, PluginLog log, PluginHealth health)
        implements PluginContext {

    /** A context whose health reports go nowhere. */
    public DefaultPluginContext(String instanceName, Clock clock, ScheduledExecutorService scheduler,
                                TaskMetadataSource metadata, AgentSettings agent, HttpClient httpClient,
                                SelfTelemetry telemetry, PluginLog log) {
        this(instanceName, clock, scheduler, metadata, agent, httpClient, telemetry, log, PluginHealth.NONE);
    }
}
