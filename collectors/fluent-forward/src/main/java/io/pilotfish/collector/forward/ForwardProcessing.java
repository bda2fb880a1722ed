package io.pilotfish.collector.forward;

import io.pilotfish.processing.logs.LogProcessingOptions;
import io.pilotfish.processing.logs.LogProcessor;
import io.pilotfish.processing.logs.LogRules;
import io.pilotfish.processing.logs.MultiLineSettings;
import io.pilotfish.processing.logs.ProcessingRule;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.SelfTelemetry;
import io.pilotfish.spi.signal.LogRecord;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the Agent does to a container's lines between reading and sending, applied to the forward receiver's records:
 * each container's output (stdout and stderr together, in the order written) is a stream whose lines are joined
 * into messages (stack traces; a {@code multi_line} rule; auto-detection), then the agent-wide rules ({@code DD_LOGS_CONFIG_PROCESSING_RULES}), this
 * collector's ({@code log-processing-rules}) and the container's own (its {@code com.datadoghq.ad.logs} label's
 * {@code log_processing_rules}) run on each message, in that order, as the Agent runs global rules before a source's.
 *
 * <p>A container whose label's rules do not parse is not collected, as the Agent does not collect a source whose
 * configuration is invalid (its rules may be the masking of a secret): its records are dropped, counted
 * ({@code forward.records_dropped{reason:invalid_label_rules}}) and reported once per label.
 *
 * <p>Messages completed while a frame is decoded go to that frame's batch (so they are handed to the sinks before
 * the frame is acked); those completed by the idle timer or at stop go straight to the emitter.
 */
final class ForwardProcessing implements AutoCloseable {

    /** What all streams' unfinished messages may hold together. */
    static final long MAX_PENDING_BYTES = 4L * 1024 * 1024;
    private static final long FLUSH_EVERY_MILLIS = 100;
    private static final int MAX_CACHED_LABELS = 256;

    private final LogRules collectorRules;
    private final MultiLineSettings collectorMultiLine;
    private final boolean stackTraces;
    private final boolean autoMultiLine;
    private final PluginContext context;
    private final LogProcessor processor;
    private final ThreadLocal<Consumer<LogRecord>> frameBatch = new ThreadLocal<>();
    private final Map<ContainerLogLabels, Source> sources = new ConcurrentHashMap<>();
    private final SelfTelemetry.Counter invalidLabelRules;
    private final Consumer<LogRecord> direct;
    /** The source of every container without rules of its own: the collector's alone. */
    private final Source collectorOnly;
    private ScheduledFuture<?> timer;

    /** What one container's records go through: the collector's rules and its label's, and how lines join. */
    private record Source(LogRules rules, MultiLineSettings multiLine, boolean invalid) {
    }

    ForwardProcessing(LogProcessingOptions options, PluginContext context, Consumer<LogRecord> direct) {
        this.context = context;
        this.direct = direct;
        boolean agentAuto = LogProcessingOptions.agentAutoMultiLine(context.agent());
        this.stackTraces = options.stackTraces();
        this.autoMultiLine = options.autoMultiLine().orElse(agentAuto);
        this.collectorRules = options.logRules();
        this.collectorMultiLine = options.multiLine(agentAuto);
        LogRules global = LogProcessingOptions.globalRules(context.agent());
        this.invalidLabelRules = context.telemetry().counter("forward.records_dropped",
                "reason:invalid_label_rules");
        this.processor = new LogProcessor(global, MAX_PENDING_BYTES, context.telemetry(), this::out);
        this.collectorOnly = new Source(collectorRules, collectorMultiLine, false);
    }

    /** Flushes messages idle past their timeout every {@value #FLUSH_EVERY_MILLIS} ms. */
    void start() {
        timer = context.scheduler().scheduleWithFixedDelay(() -> {
            try {
                processor.flushIdle(System.nanoTime());
            } catch (RuntimeException e) {
                context.log().error("forward-flush", "flushing pending log messages failed", e);
            }
        }, FLUSH_EVERY_MILLIS, FLUSH_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * One record of a frame; the messages it completes go to {@code batch}. {@code connection} keeps the lines of
     * different connections apart (each is decoded on its own thread).
     */
    void accept(RecordMapper.Mapped mapped, String connection, Consumer<LogRecord> batch) {
        Source source = sourceOf(mapped.labels());
        if (source.invalid()) {
            invalidLabelRules.increment();
            return;
        }
        frameBatch.set(batch);
        try {
            RecordMapper.Piece piece = mapped.piece();
            if (piece == null) {
                processor.accept(mapped.stream() + connection, mapped.record(), source.rules(), source.multiLine());
            } else {
                LogRecord record = piece.bytes() == null ? mapped.record() : mapped.record().withMessage(piece.bytes());
                processor.acceptPiece(mapped.stream() + connection, record, piece.lineId(), piece.last(),
                        source.rules(), source.multiLine());
            }
        } finally {
            frameBatch.remove();
        }
    }

    private void out(LogRecord record) {
        Consumer<LogRecord> batch = frameBatch.get();
        (batch != null ? batch : direct).accept(record);
    }

    private Source sourceOf(ContainerLogLabels labels) {
        if (labels.rulesJson().isEmpty()) {
            return collectorOnly;
        }
        Source cached = sources.get(labels);
        if (cached != null) {
            return cached;
        }
        Source made;
        try {
            List<ProcessingRule> rules = ProcessingRule.parseJson(labels.rulesJson(),
                    ContainerLogLabels.LOGS_LABEL + " log_processing_rules");
            boolean ownMultiLine = rules.stream().anyMatch(r -> r.type() == ProcessingRule.Type.MULTI_LINE);
            made = new Source(collectorRules.then(LogRules.compile(rules)),
                    ownMultiLine ? MultiLineSettings.from(rules, stackTraces, autoMultiLine) : collectorMultiLine,
                    false);
        } catch (IllegalArgumentException e) {
            context.log().warn("container_label_rules", e.getMessage() + "; the container's logs are not collected "
                    + "until its label is fixed, as the Datadog Agent would not collect them");
            made = new Source(LogRules.NONE, collectorMultiLine, true);
        }
        if (sources.size() >= MAX_CACHED_LABELS) {
            sources.clear();
        }
        sources.put(labels, made);
        return made;
    }

    /** Sends every message being joined now; the timer goes on. */
    void flushPending() {
        processor.flushAll();
    }

    /** Pending messages, for tests and the memory check. */
    long pendingBytes() {
        return processor.pendingBytes();
    }

    /** Stops the timer and sends every unfinished message. */
    @Override
    public void close() {
        if (timer != null) {
            timer.cancel(false);
        }
        processor.flushAll();
    }
}
