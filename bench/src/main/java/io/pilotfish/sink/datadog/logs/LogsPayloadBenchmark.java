package io.pilotfish.sink.datadog.logs;

import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the {@code datadog-logs} sink spends on a full batch before the request: 1000 FireLens-shaped records
 * (a 200-byte access-log-like message with varying paths, ids and timings, the container's ECS tags, the forward
 * receiver's four attributes) encoded as the intake's JSON array and compressed as configured. Reported per log.
 * The messages vary like real ones: {@code measure-logs.sh}'s repeated filler compresses far better than real logs
 * and would flatter every compressor.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LogsPayloadBenchmark {

    static final int LOGS = 1000;

    @Param({"zstd", "gzip", "none"})
    public String compression;

    private List<Signal> batch;
    private LogsCompression codec;

    @Setup
    public void setUp() {
        codec = LogsCompression.valueOf(compression.toUpperCase(java.util.Locale.ROOT));
        Random random = new Random(42);
        String[] paths = {"/api/v1/orders", "/api/v1/cart", "/health", "/api/v2/users/me", "/static/app.js"};
        String[] agents = {"Mozilla/5.0 (X11; Linux x86_64)", "okhttp/4.12.0", "curl/8.5.0", "Go-http-client/1.1"};
        TagSet tags = TagSet.of("task_arn:arn:aws:ecs:eu-west-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                "cluster_name:prod", "task_family:checkout", "task_version:42", "container_name:app",
                "image_name:123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout", "short_image:checkout",
                "image_tag:1.4.2", "team:payments");
        batch = new ArrayList<>(LOGS);
        for (int i = 0; i < LOGS; i++) {
            StringBuilder line = new StringBuilder(220);
            line.append("10.0.").append(random.nextInt(255)).append('.').append(random.nextInt(255))
                    .append(" - - \"GET ").append(paths[random.nextInt(paths.length)]).append('/')
                    .append(Long.toHexString(random.nextLong())).append(" HTTP/1.1\" ")
                    .append(random.nextInt(10) == 0 ? 500 : 200).append(' ').append(random.nextInt(50_000))
                    .append(" \"").append(agents[random.nextInt(agents.length)]).append("\" rt=")
                    .append(random.nextInt(2000) / 1000.0).append(" req=").append(java.util.UUID.randomUUID());
            while (line.length() < 200) {
                line.append(' ');
            }
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("container_id", "0f1e2d3c4b5a69788796a5b4c3d2e1f0-1234567890");
            attributes.put("container_name", "app");
            attributes.put("source", random.nextInt(10) == 0 ? "stderr" : "stdout");
            attributes.put("ecs_cluster", "prod");
            batch.add(new LogRecord(line.substring(0, 200).getBytes(StandardCharsets.UTF_8),
                    1_764_928_800_000L + i, "info", "checkout", "nginx", "", tags, attributes));
        }
    }

    @Benchmark
    @OperationsPerInvocation(LOGS)
    public Object encodeAndCompress() {
        LogEncoder.Encoded encoded = (LogEncoder.Encoded) LogEncoder.encode(batch, "ip-10-0-1-23");
        return codec.compress(encoded.json(), 0, encoded.length(), DatadogLogsConfig.DEFAULT_GZIP_LEVEL);
    }

    /** The compressed size of one batch, printed once so RESULTS.md can give the ratio with the speed. */
    public static void main(String[] args) {
        LogsPayloadBenchmark bench = new LogsPayloadBenchmark();
        for (String name : new String[] {"zstd", "gzip", "none"}) {
            bench.compression = name;
            bench.setUp();
            LogEncoder.Encoded encoded = (LogEncoder.Encoded) LogEncoder.encode(bench.batch, "ip-10-0-1-23");
            LogsCompression.Body body = bench.codec.compress(encoded.json(), 0, encoded.length(),
                    DatadogLogsConfig.DEFAULT_GZIP_LEVEL);
            System.out.printf("%s: %d bytes of JSON for %d logs -> %d bytes (ratio %.1f)%n", name, encoded.length(),
                    LOGS, body.length(), encoded.length() / (double) body.length());
        }
    }
}
