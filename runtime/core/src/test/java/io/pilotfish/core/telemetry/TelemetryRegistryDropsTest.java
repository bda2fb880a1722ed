package io.pilotfish.core.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Drops are found by their names alone, whichever plugin counts them, with their reasons and when they last grew. */
class TelemetryRegistryDropsTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final TelemetryRegistry registry = new TelemetryRegistry(nanos::get);

    private void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }

    @Test
    void theNamingRuleTellsDropsFromOtherFigures() {
        for (String drop : List.of("sink.dropped", "dogstatsd.dropped", "sink.points.dropped", "pipeline.dropped",
                "dogstatsd.parse_errors", "dogstatsd.kernel_drops", "some.plugin.frames_dropped")) {
            assertTrue(TelemetryRegistry.isDrop(drop), drop);
        }
        for (String other : List.of("collector.errors", "sink.dropped.bytes", "sink.sent", "dogstatsd.packets",
                "sink.events.truncated", "dogstatsd.read_pauses", "droppedness")) {
            assertFalse(TelemetryRegistry.isDrop(other), other);
        }
    }

    @Test
    void everyDropOfEveryPluginIsListedWithItsReasonAndOnlyOnceItCountedSomething() {
        SelfTelemetry dogstatsd = registry.scoped(TagSet.of("collector:dogstatsd", "collector_type:dogstatsd"));
        dogstatsd.counter("dogstatsd.parse_errors", "reason:malformed").add(3);
        dogstatsd.counter("dogstatsd.dropped", "reason:oversized_packet").add(2);
        dogstatsd.counter("dogstatsd.dropped", "reason:queue_full"); // created, nothing dropped yet
        dogstatsd.counter("dogstatsd.packets", "listener:udp").add(100);
        SelfTelemetry sink = registry.scoped(TagSet.of("sink:datadog-metrics", "sink_type:datadog-metrics"));
        sink.counter("sink.dropped", "reason:queue_full").add(5);
        sink.counter("sink.dropped.bytes", "reason:queue_full").add(640);
        sink.counter("collector.errors", "reason:scrape_failed").add(1);

        List<TelemetryRegistry.Drop> drops = registry.drops();

        assertEquals(List.of("dogstatsd.dropped oversized_packet 2", "dogstatsd.parse_errors malformed 3",
                "sink.dropped queue_full 5"), drops.stream().map(d -> d.name() + " " + d.reason() + " " + d.count())
                .toList());
        assertEquals(OptionalLong.of(640), drops.get(2).bytes(), "the bytes of a drop come with it");
        assertEquals(OptionalLong.empty(), drops.get(0).bytes());
        assertTrue(drops.get(0).tags().contains("collector:dogstatsd"), drops.get(0).tags().toString());
    }

    @Test
    void aDropCounterKnowsWhenItLastGrew() {
        SelfTelemetry.Counter parseErrors = registry.counter("dogstatsd.parse_errors", TagSet.of("reason:bad_type"));
        parseErrors.increment();
        advance(Duration.ofSeconds(30));

        TelemetryRegistry.Drop drop = registry.drops().get(0);
        assertEquals(Optional.of(Duration.ofSeconds(30)), drop.lastIncreaseAgo());
        assertTrue(drop.growingWithin(Duration.ofSeconds(60)));

        advance(Duration.ofSeconds(31));
        assertFalse(registry.drops().get(0).growingWithin(Duration.ofSeconds(60)), "stopped a minute ago");

        parseErrors.add(0);
        assertFalse(registry.drops().get(0).growingWithin(Duration.ofSeconds(60)), "adding nothing is no drop");
    }

    @Test
    void aDropGaugeIsSeenToGrowBetweenTwoReadingsAndDatedAtTheEarlierOne() {
        AtomicLong kernelDrops = new AtomicLong(7);
        registry.gauge("dogstatsd.kernel_drops", TagSet.of("listener:udp"), kernelDrops::get);

        TelemetryRegistry.Drop first = registry.drops().get(0);
        assertEquals(7, first.count());
        assertEquals(Optional.empty(), first.lastIncreaseAgo(), "when the first 7 were lost is not known");

        advance(Duration.ofSeconds(20));
        kernelDrops.set(9);
        advance(Duration.ofSeconds(10));
        TelemetryRegistry.Drop grown = registry.drops().get(0);
        assertEquals(9, grown.count());
        assertEquals(Optional.of(Duration.ofSeconds(30)), grown.lastIncreaseAgo());

        advance(Duration.ofSeconds(40));
        TelemetryRegistry.Drop quiet = registry.drops().get(0);
        assertEquals(Optional.of(Duration.ofSeconds(70)), quiet.lastIncreaseAgo(), "no growth since");
    }
}
