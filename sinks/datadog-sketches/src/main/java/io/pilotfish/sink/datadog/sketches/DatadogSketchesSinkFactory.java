package io.pilotfish.sink.datadog.sketches;

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

/**
 * The {@code datadog-sketches} sink: distributions (DogStatsD {@code d}) to Datadog's {@code POST /api/beta/sketches}
 * as the Agent's protobuf {@code SketchPayload}.
 */
public final class DatadogSketchesSinkFactory implements SinkFactory<DatadogSketchesConfig> {

    public static final String TYPE = "datadog-sketches";

    /** The platform's own ceiling; the byte budget below is what really bounds a batch. */
    static final int MAX_SKETCHES_PER_BATCH = 10_000;
    /**
     * Estimated bytes per batch. Bins are binary and compress less than metric JSON, and the global tags are added to
     * every series on the wire: 1 MiB keeps a payload well under the 512 000-byte compressed limit. A batch that still
     * ends up over a limit is answered with TooLarge and split.
     */
    static final long MAX_ESTIMATED_BATCH_BYTES = 1024L * 1024;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DatadogSketchesConfig configure(PluginConfig config) {
        Optional<URI> url = DatadogEndpoints.urlKey(config, "the path " + DatadogSketchesSink.SKETCHES_PATH
                + " is added");
        Compression compression = config.choice("compression", Compression.class, Compression.DEFLATE);
        long maxPayload = config.number("max-payload-bytes", DatadogSketchesConfig.INTAKE_MAX_PAYLOAD_BYTES, 1,
                DatadogSketchesConfig.INTAKE_MAX_PAYLOAD_BYTES);
        long maxUncompressed = config.number("max-uncompressed-bytes",
                DatadogSketchesConfig.INTAKE_MAX_UNCOMPRESSED_BYTES, 1,
                DatadogSketchesConfig.INTAKE_MAX_UNCOMPRESSED_BYTES);
        return new DatadogSketchesConfig(url, compression, (int) maxPayload, (int) maxUncompressed);
    }

    @Override
    public Set<SignalKind> signals(DatadogSketchesConfig config) {
        return Set.of(SignalKind.SKETCH);
    }

    @Override
    public BatchLimits batchLimits(DatadogSketchesConfig config) {
        return new BatchLimits(MAX_SKETCHES_PER_BATCH, MAX_ESTIMATED_BATCH_BYTES);
    }

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} or {@code DD_DD_URL} when no intake address can be
     *                                  derived from them (and no {@code url} is set)
     */
    @Override
    public Sink create(DatadogSketchesConfig config, PluginContext context) {
        return new DatadogSketchesSink(config, context);
    }
}
