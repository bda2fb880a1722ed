package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.util.Set;

/**
 * The {@code datadog-traces} sink: trace chunks to Datadog's trace intake, {@code POST /api/v0.2/traces}, as the
 * trace-agent's gzip-compressed protobuf {@code AgentPayload}.
 */
public final class DatadogTracesSinkFactory implements SinkFactory<DatadogTracesConfig> {

    public static final String TYPE = "datadog-traces";

    /** The platform's ceiling; the byte budget is what bounds a batch of traces. */
    static final int MAX_CHUNKS_PER_BATCH = 10_000;
    /** Batches never ask for less than this, whatever {@code max-payload-bytes} says. */
    static final long MIN_BATCH_BYTES = 16 * 1024;

    public DatadogTracesSinkFactory() {
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DatadogTracesConfig configure(PluginConfig config) {
        DatadogTracesConfig d = DatadogTracesConfig.DEFAULTS;
        return new DatadogTracesConfig(
                ConfigKeys.url(config, DatadogTracesSink.TRACES_PATH),
                ConfigKeys.text(config, "hostname"),
                ConfigKeys.text(config, "env"),
                ConfigKeys.rate(config, "target-tps", d.targetTps()),
                ConfigKeys.rate(config, "error-tps", d.errorTps()),
                config.bool("rare-sampler-enabled", d.rareSamplerEnabled()),
                (int) config.number("max-payload-bytes", d.maxPayloadBytes(), 1,
                        DatadogTracesConfig.INTAKE_MAX_PAYLOAD_BYTES));
    }

    @Override
    public Set<SignalKind> signals(DatadogTracesConfig config) {
        return Set.of(SignalKind.TRACE);
    }

    /**
     * Estimated bytes up to the payload limit. A chunk's estimate is about twice its protobuf size for ASCII text, so
     * a batch nearly always fits one payload; one that does not is refused before anything is sent and split by the
     * platform.
     */
    @Override
    public BatchLimits batchLimits(DatadogTracesConfig config) {
        return new BatchLimits(MAX_CHUNKS_PER_BATCH, Math.max(MIN_BATCH_BYTES, config.maxPayloadBytes()));
    }

    /**
     * The encoders' per-thread buffer and string cache ({@link AgentPayloadEncoder#SCRATCH_BYTES_PER_THREAD}) on each
     * of the platform's export threads.
     */
    @Override
    public long memoryBytes(DatadogTracesConfig config) {
        return EXPORT_THREADS * AgentPayloadEncoder.SCRATCH_BYTES_PER_THREAD;
    }

    /** The agent's export pool (AgentRuntime): each thread may encode a batch of this sink and keep its scratch. */
    static final int EXPORT_THREADS = 2;

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} when no {@code url} is set and the site is unusable
     */
    @Override
    public Sink create(DatadogTracesConfig config, PluginContext context) {
        return new DatadogTracesSink(config, context);
    }
}
