package io.pilotfish.sink.console;

import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.PluginContext;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.TagSet;
import java.io.PrintStream;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Prints each signal as one line, the way it would be shipped (global tags included). Always succeeds. */
final class ConsoleSink implements Sink {

    private final PluginContext context;
    private final PrintStream out;
    private final SignalFormatter formatter;

    ConsoleSink(ConsoleConfig config, PluginContext context) {
        this(config, context, System.out);
    }

    /** For tests: print somewhere else than standard output. */
    ConsoleSink(ConsoleConfig config, PluginContext context, PrintStream out) {
        this.context = Objects.requireNonNull(context, "context");
        this.out = Objects.requireNonNull(out, "out");
        this.formatter = switch (config.format()) {
            case TEXT -> new TextFormatter();
            case JSON -> new JsonFormatter();
        };
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        // Global tags are read per batch: a config reload may change them.
        TagSet globalTags = context.agent().globalTags();
        StringBuilder lines = new StringBuilder(batch.size() * 96);
        for (Signal signal : batch) {
            formatter.append(signal, globalTags, lines);
            lines.append('\n');
        }
        // One write per batch keeps a batch's lines together when several sinks share stdout.
        out.print(lines);
        out.flush();
        return CompletableFuture.completedFuture(ExportResult.SUCCESS);
    }

    /** Writes one signal, without the line end. */
    interface SignalFormatter {
        void append(Signal signal, TagSet globalTags, StringBuilder line);
    }
}
