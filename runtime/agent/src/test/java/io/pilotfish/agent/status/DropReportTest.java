package io.pilotfish.agent.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pilotfish.core.telemetry.TelemetryRegistry;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.signal.TagSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Status lists every counted drop per part and reason, from the figures as the pipeline scopes them, and names a part
 * that is dropping now as a problem until it stops.
 */
class DropReportTest {

    private final AtomicLong nanos = new AtomicLong();
    private final TelemetryRegistry registry = new TelemetryRegistry(nanos::get);
    private final SelfTelemetry dogstatsd = registry.scoped(TagSet.of("collector:dogstatsd",
            "collector_type:dogstatsd"));

    private ObjectNode report(List<String> problems) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        DropReport.add(root, registry, problems);
        return root;
    }

    @Test
    void parseErrorsAndOversizedPacketsAreListedPerPartAndReason() {
        dogstatsd.counter("dogstatsd.parse_errors", "reason:malformed").add(3);
        dogstatsd.counter("dogstatsd.parse_errors", "reason:bad_type").add(1);
        dogstatsd.counter("dogstatsd.dropped", "reason:oversized_packet").add(2);
        SelfTelemetry sink = registry.scoped(TagSet.of("sink:datadog-metrics", "sink_type:datadog-metrics"));
        sink.counter("sink.dropped", "reason:queue_full").add(5);
        sink.counter("sink.dropped.bytes", "reason:queue_full").add(640);
        registry.counter("pipeline.dropped", TagSet.of("reason:no_sink", "signal:event")).add(1);
        List<String> problems = new ArrayList<>();

        ObjectNode root = report(problems);

        assertEquals(List.of(
                        "agent|pipeline.dropped|no_sink|[\"signal:event\"]|1|null|true",
                        "collector dogstatsd|dogstatsd.dropped|oversized_packet|[]|2|null|true",
                        "collector dogstatsd|dogstatsd.parse_errors|bad_type|[]|1|null|true",
                        "collector dogstatsd|dogstatsd.parse_errors|malformed|[]|3|null|true",
                        "sink datadog-metrics|sink.dropped|queue_full|[]|5|640|true"),
                root.path("drops").valueStream().map(d -> d.path("part").asText() + "|" + d.path("figure").asText()
                        + "|" + d.path("reason").asText() + "|" + d.path("tags") + "|" + d.path("count").asLong()
                        + "|" + d.path("bytes") + "|" + d.path("growing").asBoolean()).toList());
        assertTrue(problems.contains("collector dogstatsd is dropping data (within the last 60 s): dogstatsd.dropped "
                + "oversized_packet 2 since start; dogstatsd.parse_errors bad_type 1 since start; "
                + "dogstatsd.parse_errors malformed 3 since start. The reasons are explained in the part's README; its "
                + "log says what to change"), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("sink datadog-metrics is dropping data")
                && p.contains("sink.dropped queue_full 5 (640 bytes)")), problems.toString());
        assertEquals(3, problems.size(), problems.toString());
    }

    @Test
    void aDropIsAProblemWhileItGrowsAndStaysListedAfter() {
        dogstatsd.counter("dogstatsd.dropped", "reason:context_limit").add(10);
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());
        List<String> problems = new ArrayList<>();

        ObjectNode root = report(problems);

        assertEquals(List.of(), problems, "no drop within the last minute");
        assertEquals(10, root.path("drops").get(0).path("count").asLong());
        assertEquals(false, root.path("drops").get(0).path("growing").asBoolean());
    }

    @Test
    void withoutDropsTheListIsEmpty() {
        dogstatsd.counter("dogstatsd.dropped", "reason:queue_full");
        dogstatsd.counter("dogstatsd.packets", "listener:udp").add(10);
        List<String> problems = new ArrayList<>();

        assertEquals(0, report(problems).path("drops").size());
        assertEquals(List.of(), problems);
    }
}
