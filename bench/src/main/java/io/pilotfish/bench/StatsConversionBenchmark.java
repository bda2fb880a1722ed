package io.pilotfish.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.pilotfish.collector.containerstats.ContainerStatsConfig;
import io.pilotfish.collector.containerstats.SampleHistory;
import io.pilotfish.collector.containerstats.StatsConversion;
import io.pilotfish.collector.containerstats.StatsConverter;
import io.pilotfish.collector.containerstats.StatsParser;
import io.pilotfish.spi.ecs.TaskSnapshot;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One container-stats scrape of the 3-container Fargate task, in the steady state: the converter holds the previous
 * sample (10 s earlier), so every rate is computed. The task snapshot is built once, as in the agent, where it only
 * changes when the task metadata does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StatsConversionBenchmark {

    private byte[] body;
    private Map<String, JsonNode> parsed;
    private TaskSnapshot snapshot;
    private SampleHistory previous;
    private Instant now;
    private StatsConverter converter;

    @Setup
    public void setUp() {
        snapshot = Fixtures.snapshot();
        converter = new StatsConverter(ContainerStatsConfig.DEFAULT);
        previous = converter.convert(StatsParser.parse(Fixtures.stats(0)), snapshot, SampleHistory.empty(),
                Fixtures.sampleTime(0)).history();
        body = Fixtures.stats(1);
        parsed = StatsParser.parse(body);
        now = Fixtures.sampleTime(1);
        checkSteadyState(converter.convert(parsed, snapshot, previous, now));
    }

    /** A benchmark of an error path or of a first sample would measure the wrong thing: refuse to run. */
    static StatsConversion checkSteadyState(StatsConversion conversion) {
        if (!conversion.problems().isEmpty()) {
            throw new IllegalStateException("the fixture converts with problems: " + conversion.problems());
        }
        long cpuPercent = conversion.metrics().stream().filter(m -> m.name().equals("ecs.fargate.cpu.percent"))
                .count();
        if (cpuPercent != 3) {
            throw new IllegalStateException("expected ecs.fargate.cpu.percent (a rate) for the 3 containers, got "
                    + cpuPercent + "; are the fixture samples 10 s apart?");
        }
        return conversion;
    }

    /** JSON bytes to one tree per container. */
    @Benchmark
    public Map<String, JsonNode> parse() {
        return StatsParser.parse(body);
    }

    /** Trees to metrics (142 points), rates against the previous sample. */
    @Benchmark
    public StatsConversion convert() {
        return converter.convert(parsed, snapshot, previous, now);
    }

    /** What a scrape costs once the body has arrived. */
    @Benchmark
    public StatsConversion parseAndConvert() {
        return converter.convert(StatsParser.parse(body), snapshot, previous, now);
    }
}
