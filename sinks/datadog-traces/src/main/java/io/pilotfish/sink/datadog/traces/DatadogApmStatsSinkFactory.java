package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.util.Set;

/**
 * The {@code datadog-apm-stats} sink: APM stats to Datadog's trace intake, {@code POST /api/v0.2/stats}, as the
 * trace-agent's gzip-compressed msgpack {@code StatsPayload}, split at 4,000 grouped entries per payload.
 */
public final class DatadogApmStatsSinkFactory implements SinkFactory<DatadogApmStatsConfig> {

    public static final String TYPE = "datadog-apm-stats";

    /**
     * One tracer's stats per signal, a few per 10 s flush: 1000 is far more than a batch holds in practice.
     */
    static final int MAX_STATS_PER_BATCH = 1000;
    /** About 4,000 groups at their estimated size, so a batch is mostly one payload. */
    static final long MAX_BATCH_BYTES = 2L * 1024 * 1024;

    public DatadogApmStatsSinkFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DatadogApmStatsConfig configure(PluginConfig config) {
        return new DatadogApmStatsConfig(
                ConfigKeys.url(config, DatadogApmStatsSink.STATS_PATH),
                ConfigKeys.text(config, "hostname"),
                ConfigKeys.text(config, "env"),
                (int) config.number("max-groups-per-payload", DatadogApmStatsConfig.INTAKE_MAX_GROUPS_PER_PAYLOAD, 1,
                        DatadogApmStatsConfig.INTAKE_MAX_GROUPS_PER_PAYLOAD));
    }

    @Override
    public Set<SignalKind> signals(DatadogApmStatsConfig config) {
        return Set.of(SignalKind.APM_STATS);
    }

    @Override
    public BatchLimits batchLimits(DatadogApmStatsConfig config) {
        return new BatchLimits(MAX_STATS_PER_BATCH, MAX_BATCH_BYTES);
    }

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} when no {@code url} is set and the site is unusable
     */
    @Override
    public Sink create(DatadogApmStatsConfig config, PluginContext context) {
        return new DatadogApmStatsSink(config, context);
    }
}
