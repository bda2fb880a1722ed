package io.pilotfish.bench;

import io.pilotfish.collector.dogstatsd.Aggregator;
import io.pilotfish.collector.dogstatsd.DogStatsdParser;
import io.pilotfish.collector.dogstatsd.MetricSample;
import io.pilotfish.collector.dogstatsd.Origin;
import io.pilotfish.collector.dogstatsd.ParseError;
import io.pilotfish.spi.signal.Event;
import io.pilotfish.spi.signal.ServiceCheck;
import io.pilotfish.spi.signal.Signal;
import java.util.function.Consumer;

/**
 * The DogStatsD worker's path as the benchmarks drive it: a parser feeding an aggregator, at a clock they move one
 * bucket at a time. Events and service checks are parsed and ignored; a parse error or a full context budget fails
 * the benchmark, since its packets are meant to be valid.
 */
final class DogStatsdPipeline implements DogStatsdParser.Handler {

    private long clock = 1_700_000_000L;
    private final DogStatsdParser parser = new DogStatsdParser(DogStatsdParser.Limits.DEFAULTS, () -> clock);
    private final Aggregator aggregator = new Aggregator(Aggregator.Settings.DEFAULTS);

    void parse(byte[] packet) {
        parser.parse(packet, 0, packet.length, this);
    }

    /** Moves the clock one bucket on and flushes the bucket that closed into {@code out}. */
    void nextBucket(Consumer<? super Signal> out) {
        clock += Aggregator.BUCKET_SECONDS;
        aggregator.flush(clock, false, out);
    }

    @Override
    public void metric(MetricSample sample) {
        if (!aggregator.add(sample, sample.tags(), "", clock)) {
            throw new IllegalStateException("context budget reached");
        }
    }

    @Override
    public void event(Event event, Origin origin) {
    }

    @Override
    public void serviceCheck(ServiceCheck check, Origin origin) {
    }

    @Override
    public void error(ParseError reason, String message) {
        throw new IllegalStateException(reason + ": " + message);
    }
}
