package io.pilotfish.sink.datadog.events;

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
 * The {@code datadog-events} sink: events to {@code POST /api/v1/events} (one per request) and service checks to
 * {@code POST /api/v1/check_run} (many per request).
 */
public final class DatadogEventsSinkFactory implements SinkFactory<DatadogEventsConfig> {

    public static final String TYPE = "datadog-events";

    /**
     * Events go one per request, so a batch is as many requests as it has events: 100 keeps a batch well inside the
     * platform's default request timeout (15 s) even against a slow intake.
     */
    static final int MAX_BATCH_ITEMS = 100;
    static final long MAX_BATCH_BYTES = 1024 * 1024;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DatadogEventsConfig configure(PluginConfig config) {
        Optional<URI> url = DatadogEndpoints.urlKey(config, "the paths " + DatadogEventsSink.EVENTS_PATH + " and "
                + DatadogEventsSink.CHECK_RUN_PATH + " are added");
        Compression compression = config.choice("compression", Compression.class, Compression.DEFLATE);
        long concurrent = config.number("max-concurrent-requests",
                DatadogEventsConfig.DEFAULT_MAX_CONCURRENT_REQUESTS, 1,
                DatadogEventsConfig.MAX_CONCURRENT_REQUESTS_LIMIT);
        return new DatadogEventsConfig(url, compression, (int) concurrent);
    }

    @Override
    public Set<SignalKind> signals(DatadogEventsConfig config) {
        return Set.of(SignalKind.EVENT, SignalKind.SERVICE_CHECK);
    }

    @Override
    public BatchLimits batchLimits(DatadogEventsConfig config) {
        return new BatchLimits(MAX_BATCH_ITEMS, MAX_BATCH_BYTES);
    }

    /**
     * @throws IllegalArgumentException naming {@code DD_SITE} or {@code DD_DD_URL} when no intake address can be
     *                                  derived from them (and no {@code url} is set)
     */
    @Override
    public Sink create(DatadogEventsConfig config, PluginContext context) {
        return new DatadogEventsSink(config, context);
    }
}
