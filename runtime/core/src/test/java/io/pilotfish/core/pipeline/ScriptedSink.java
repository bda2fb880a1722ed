package io.pilotfish.core.pipeline;

import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.signal.Signal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/** A sink that answers from a script, then with success, and remembers what it accepted. */
final class ScriptedSink implements Sink {

    final List<Signal> accepted = Collections.synchronizedList(new ArrayList<>());
    final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
    private final ArrayDeque<Function<List<Signal>, ExportResult>> script = new ArrayDeque<>();
    volatile Function<List<Signal>, ExportResult> fallback = batch -> ExportResult.SUCCESS;
    volatile boolean hang;
    volatile boolean closed;

    @Override
    public void close() {
        closed = true;
    }

    synchronized ScriptedSink then(ExportResult result, int times) {
        for (int i = 0; i < times; i++) {
            script.add(batch -> result);
        }
        return this;
    }

    synchronized ScriptedSink then(Function<List<Signal>, ExportResult> answer) {
        script.add(answer);
        return this;
    }

    @Override
    public CompletionStage<ExportResult> export(List<Signal> batch) {
        batchSizes.add(batch.size());
        if (hang) {
            return new CompletableFuture<>();
        }
        Function<List<Signal>, ExportResult> answer;
        synchronized (this) {
            answer = script.isEmpty() ? fallback : script.poll();
        }
        ExportResult result = answer.apply(batch);
        if (result instanceof ExportResult.Success) {
            accepted.addAll(batch);
        }
        return CompletableFuture.completedFuture(result);
    }
}
