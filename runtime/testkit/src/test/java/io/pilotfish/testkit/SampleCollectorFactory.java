package io.pilotfish.testkit;

import io.pilotfish.spi.Collector;
import io.pilotfish.spi.CollectorFactory;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.PluginConfig;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Scraper;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.Metric;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A collector that keeps the contract, or breaks exactly one rule of it ({@link Flaw}): the contract tests must
 * pass on the first and fail on each of the others. Each scrape refreshes the task and emits the container count.
 */
public final class SampleCollectorFactory implements CollectorFactory<SampleCollectorFactory.Config> {

    public enum Flaw {
        NONE, BAD_TYPE, THROWS_ON_EMPTY_CONFIG, THROWS_ON_ODD_VALUE, READS_INTERVAL, CREATE_NEEDS_METADATA,
        SCRAPE_THROWS_WITHOUT_ENDPOINT, SCRAPE_STAGE_FAILS, CLOSE_TWICE_THROWS, EMITS_NAN
    }

    public record Config(String prefix) {
    }

    private final Flaw flaw;

    public SampleCollectorFactory() {
        this(Flaw.NONE);
    }

    public SampleCollectorFactory(Flaw flaw) {
        this.flaw = flaw;
    }

    @Override
    public String type() {
        return flaw == Flaw.BAD_TYPE ? "Sample_Collector" : "sample-collector";
    }

    @Override
    public Config configure(PluginConfig config) {
        String prefix = config.string("metric-prefix", "");
        if (flaw == Flaw.READS_INTERVAL) {
            config.duration("interval", Duration.ofSeconds(10));
        }
        if (prefix.isEmpty() && flaw == Flaw.THROWS_ON_EMPTY_CONFIG) {
            throw new IllegalArgumentException("metric-prefix is required");
        }
        if (!prefix.matches("[a-z][a-z0-9_.]*")) {
            if (flaw == Flaw.THROWS_ON_ODD_VALUE && !prefix.isEmpty()) {
                throw new IllegalArgumentException("bad prefix " + prefix);
            }
            config.problem("metric-prefix", "expected a lowercase metric name prefix such as sample");
        }
        return new Config(prefix);
    }

    @Override
    public Collector create(Config config, PluginContext context) {
        if (flaw == Flaw.CREATE_NEEDS_METADATA && !context.metadata().available()) {
            throw new IllegalStateException("no metadata endpoint");
        }
        return new SampleScraper(config, context);
    }

    private final class SampleScraper implements Scraper {
        private final Config config;
        private final PluginContext context;
        private final AtomicBoolean closed = new AtomicBoolean();

        SampleScraper(Config config, PluginContext context) {
            this.config = config;
            this.context = context;
        }

        @Override
        public CompletionStage<Void> scrape(Emitter emitter) {
            if (flaw == Flaw.SCRAPE_THROWS_WITHOUT_ENDPOINT && !context.metadata().available()) {
                throw new IllegalStateException("no metadata endpoint");
            }
            CompletionStage<TaskSnapshot> refreshed;
            try {
                refreshed = context.metadata().refresh();
            } catch (RuntimeException e) {
                refreshed = CompletableFuture.failedFuture(e);
            }
            return refreshed.handle((snapshot, failure) -> {
                if (failure != null) {
                    if (flaw == Flaw.SCRAPE_STAGE_FAILS) {
                        throw new CompletionException(failure);
                    }
                    context.telemetry().counter("collector.errors", "reason:metadata").increment();
                    context.log().warn("metadata", "no task metadata: " + failure.getMessage());
                    return null;
                }
                double value = flaw == Flaw.EMITS_NAN ? Double.NaN : snapshot.task().containers().size();
                emitter.emit(Metric.gauge(config.prefix() + ".containers", value,
                        context.clock().instant().getEpochSecond(), snapshot.taskTags(
                                io.pilotfish.spi.ecs.Cardinality.LOW)));
                return null;
            });
        }

        @Override
        public void close() {
            if (closed.getAndSet(true) && flaw == Flaw.CLOSE_TWICE_THROWS) {
                throw new IllegalStateException("already closed");
            }
        }
    }
}
