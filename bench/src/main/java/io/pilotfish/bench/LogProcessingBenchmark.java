package io.pilotfish.bench;

import io.pilotfish.processing.logs.LogProcessor;
import io.pilotfish.processing.logs.LogRules;
import io.pilotfish.processing.logs.MultiLineSettings;
import io.pilotfish.processing.logs.ProcessingRule;
import io.pilotfish.spi.signal.LogRecord;
import io.pilotfish.spi.signal.TagSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The log chain's cost per line ({@code runtime/processing}), each case through a whole {@link LogProcessor} (one
 * stream, records handed to a Blackhole), 1,024 lines an invocation:
 * <ul>
 *   <li>{@code rules}: 200-byte lines through five rules as users write them: two excludes (health checks, a debug
 *       marker), one include ({@code status=\d{3}}), two masks (the Agent's credit-card example, an
 *       {@code api_key=...} with a group reference); one line in 16 is dropped, one in 8 masked. No joining;</li>
 *   <li>{@code stackTraces}: the default joining on a mix of 200-byte plain lines and 12-line Java traces (one
 *       line in four is a trace line);</li>
 *   <li>{@code jsonLines}: 200-byte JSON lines (a message, a level, a logger, trace ids, a nested object) lifted
 *       into attributes;</li>
 *   <li>{@code plain}: the same plain lines with no rules and no joining, the floor of the chain.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LogProcessingBenchmark {

    static final int LINES = 1024;
    private static final String CARDS = "(?:4[0-9]{12}(?:[0-9]{3})?|[25][1-7][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}"
            + "|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\\d{3})\\d{11})";

    private List<LogRecord> ruleLines;
    private List<LogRecord> traceLines;
    private List<LogRecord> jsonLines;
    private LogRules sourceRules;
    private LogProcessor processor;
    private Blackhole sink;

    @Setup
    public void setUp(Blackhole blackhole) {
        sink = blackhole;
        sourceRules = LogRules.compile(List.of(
                new ProcessingRule(ProcessingRule.Type.EXCLUDE_AT_MATCH, "health", "GET /(?:health|ready)", null),
                new ProcessingRule(ProcessingRule.Type.EXCLUDE_AT_MATCH, "debug", "\\bDEBUG\\b", null),
                new ProcessingRule(ProcessingRule.Type.INCLUDE_AT_MATCH, "with_status", "status=\\d{3}", null),
                new ProcessingRule(ProcessingRule.Type.MASK_SEQUENCES, "cards", CARDS, "[masked_card]"),
                new ProcessingRule(ProcessingRule.Type.MASK_SEQUENCES, "api_keys", "(api_key=)[A-Za-z0-9]+",
                        "${1}[masked]")));
        ruleLines = new ArrayList<>(LINES);
        traceLines = new ArrayList<>(LINES);
        jsonLines = new ArrayList<>(LINES);
        for (int i = 0; i < LINES; i++) {
            String line;
            if (i % 32 == 0) {
                line = "GET /health 200";
            } else if (i % 32 == 16) {
                line = "2026-12-05T16:40:00.123Z DEBUG cache warm";
            } else if (i % 8 == 3) {
                line = "2026-12-05T16:40:00.123Z INFO payment accepted card=4111111111111111 status=200 order=" + i;
            } else if (i % 8 == 5) {
                line = "2026-12-05T16:40:00.123Z INFO upstream call api_key=abcdef0123456789 status=201 n=" + i;
            } else {
                line = "2026-12-05T16:40:00.123Z INFO http.server GET /api/v1/orders/" + i + " status=200 dur=12ms";
            }
            ruleLines.add(record(pad(line)));
        }
        String[] trace = {"java.lang.IllegalStateException: order service failed for request",
                "\tat com.example.orders.OrderService.place(OrderService.java:87)",
                "\tat com.example.orders.OrderController.post(OrderController.java:41)",
                "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
                "\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)",
                "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
                "Caused by: java.net.SocketTimeoutException: Read timed out",
                "\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)",
                "\tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:304)",
                "\tat com.example.http.Client.send(Client.java:120)",
                "\tat com.example.orders.OrderService.place(OrderService.java:80)",
                "\t... 4 more"};
        int t = 0;
        while (traceLines.size() < LINES) {
            // 36 plain lines, then a 12-line trace: a quarter of the lines are trace lines
            for (int i = 0; i < 36 && traceLines.size() < LINES; i++, t++) {
                traceLines.add(record(pad("2026-12-05 16:40:00.123 INFO  [http-nio-8080-exec-" + (t % 10)
                        + "] c.e.orders.OrderController - order " + t + " placed")));
            }
            for (int i = 0; i < trace.length && traceLines.size() < LINES; i++) {
                traceLines.add(record(trace[i]));
            }
        }
        for (int i = 0; i < LINES; i++) {
            String json = "{\"timestamp\":\"2026-12-05T16:40:00.123Z\",\"level\":\"" + (i % 10 == 0 ? "ERROR" : "INFO")
                    + "\",\"logger\":\"com.example.orders.OrderController\",\"message\":\"order " + i
                    + " placed\",\"dd.trace_id\":\"" + (8_000_000_000_000_000_000L + i) + "\",\"dd.span_id\":\""
                    + (1000 + i) + "\",\"http\":{\"method\":\"POST\",\"status\":201}";
            jsonLines.add(record(json + ",\"pad\":\"" + "x".repeat(Math.max(0, 198 - json.length() - 9)) + "\"}"));
        }
        processor = new LogProcessor(LogRules.NONE, 4L << 20, new NoTelemetry(), r -> sink.consume(r));
    }

    private static String pad(String line) {
        return line.length() >= 200 ? line.substring(0, 200) : line + " " + "k=v ".repeat((199 - line.length()) / 4);
    }

    private static LogRecord record(String text) {
        return new LogRecord(text.getBytes(StandardCharsets.UTF_8), 1_764_953_200_000L, "info", "orders", "java",
                "", TagSet.of("env:prod", "service:orders"), null);
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void rules() {
        for (LogRecord line : ruleLines) {
            processor.accept("orders/stdout", line, sourceRules, MultiLineSettings.none());
        }
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void stackTraces() {
        for (LogRecord line : traceLines) {
            processor.accept("orders/stdout", line, LogRules.NONE, MultiLineSettings.defaults());
        }
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void jsonLines() {
        for (LogRecord line : jsonLines) {
            processor.accept("orders/stdout", line, LogRules.NONE, MultiLineSettings.none());
        }
    }

    @Benchmark
    @OperationsPerInvocation(LINES)
    public void plain() {
        for (LogRecord line : traceLines) {
            processor.accept("orders/stdout", line, LogRules.NONE, MultiLineSettings.none());
        }
    }
}
