package io.pilotfish.sink.datadog.metrics;

import io.pilotfish.sink.datadog.common.Compression;
import io.pilotfish.sink.datadog.common.DatadogEndpoints;
import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.SignalKind;
import java.net.URI;
import java.util.Optional;
import java.util.Set;

/** The {@code datadog-metrics} sink: metric points to Datadog's {@code POST /api/v2/series} as JSON. */
public final class DatadogMetricsSinkFactory implements SinkFactory<DatadogMetricsConfig> {

    public static final String TYPE = "datadog-metrics";

    /** The Agent's points-per-payload limit ({@code serializer_max_series_points_per_payload}). */
    static final int MAX_POINTS_PER_PAYLOAD = 10_000;
    /**
     * Estimated bytes per batch. Well under the 5 MB uncompressed limit, since global tags are added to every series
     * on the wire; a batch that still ends up over a limit is answered with TooLarge and split.
     */
    static final long MAX_ESTIMATED_BATCH_BYTES = 2L * 1024 * 1024;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DatadogMetricsConfig configure(PluginConfig config) {
        Optional<URI> url = DatadogEndpoints.urlKey(config, "the path " + DatadogMetricsSink.SERIES_PATH
                + " is added");
        Compression compression = config.choice("compression", Compression.class, Compression.DEFLATE);
        long maxPayload = config.number("max-payload-bytes", DatadogMetricsConfig.INTAKE_MAX_PAYLOAD_BYTES, 1,
                DatadogMetricsConfig.INTAKE_MAX_PAYLOAD_BYTES);
        long maxUncompressed = config.number("max-uncompressed-bytes",
                DatadogMetricsConfig.INTAKE_MAX_UNCOMPRESSED_BYTES, 1,
                DatadogMetricsConfig.INTAKE_MAX_UNCOMPRESSED_BYTES);
        return new DatadogMetricsConfig(url, compression, (int) maxPayload, (int) maxUncompressed);
    }

    @Override
    public Set<SignalKind> signals(DatadogMetricsConfig config) {
        return Set.of(SignalKind.METRIC);
    }

    @Override
    public BatchLimits batchLimits(DatadogMetricsConfig config) {
        return new BatchLimits(MAX_POINTS_PER_PAYLOAD, MAX_ESTIMATED_BATCH_BYTES);
    }

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} or {@code DD_DD_URL} when no intake address can be
     *                                  derived from them (and no {@code url} is set)
     */
    @Override
    public Sink create(DatadogMetricsConfig config, PluginContext context) {
        return new DatadogMetricsSink(config, context);
    }
}
