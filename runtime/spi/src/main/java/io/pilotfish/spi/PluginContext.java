package io.pilotfish.spi;

import io.pilotfish.spi.ecs.TaskMetadataSource;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/** What the platform gives a plugin instance. Everything here is shared and thread-safe. */
public interface PluginContext {

    /** The instance name, e.g. {@code datadog-metrics}. */
    String instanceName();

    Clock clock();

    /** For timers; tasks must be short and never block. */
    ScheduledExecutorService scheduler();

    /** The task's ECS metadata, fetched once and shared by every plugin. */
    TaskMetadataSource metadata();

    /** Agent-wide settings: host, global tags, Datadog site and key. */
    AgentSettings agent();

    /** A shared HTTP client (keep-alive, TLS verification on, the configured proxy). */
    HttpClient httpClient();

    /** Self-telemetry scoped to this instance; reported as {@code pilotfish.*} metrics. */
    SelfTelemetry telemetry();

    /** A logger that says each kind of problem at most once per interval and counts the rest. */
    PluginLog log();

    /** Where this instance reports what it listens on and a part of it that stopped working. */
    default PluginHealth health() {
        return PluginHealth.NONE;
    }
}
