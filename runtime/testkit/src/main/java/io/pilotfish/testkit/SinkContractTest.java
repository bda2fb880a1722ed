package io.pilotfish.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pilotfish.spi.BatchLimits;
import io.pilotfish.spi.ExportResult;
import io.pilotfish.spi.Sink;
import io.pilotfish.spi.SinkFactory;
import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.signal.SignalKind;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The contract every sink keeps, as tests a plugin module inherits: extend it in {@code src/test} with the factory,
 * a valid config and sample signals. Sinks that send over HTTP extend {@link HttpSinkContractTest}, which adds the
 * intake checks (status classification, Retry-After, unreachable intake, the API key never shown).
 *
 * <p>The context carries the API key {@link #API_KEY} (override {@link #apiKey()}); batches are handed over as
 * unmodifiable lists, as the platform may share them.
 *
 * @param <C> the plugin's typed config
 */
public abstract class SinkContractTest<C> extends PluginContractTest<SinkFactory<C>, C> {

    /** An API key easy to spot if it leaks: 32 hex characters, like a real Datadog key. */
    public static final String API_KEY = java.util.UUID.randomUUID().toString().replace("-", ""); // a fresh 32-hex key per run

    protected SinkContractTest() {
        super(SinkFactory.class, Map.of("queue.max-bytes", "1048576", "batch.max-items", "100", "batch.timeout", "1s",
                "retry.max-age", "5m", "request-timeout", "10s", "exports-in-flight", "2"));
    }

    /** Signals of every kind the sink takes ({@link SinkFactory#signals}); exported as one batch. */
    protected abstract List<Signal> sampleSignals();

    /** The key in the context's agent settings (and the one an intake accepts). */
    protected String apiKey() {
        return API_KEY;
    }

    /** The context of each test, carrying {@link #apiKey()}; override to change agent settings. */
    @Override
    protected TestPluginContext.Builder contextBuilder() {
        return super.contextBuilder().apiKey(apiKey());
    }

    /** Keys for exporting to a destination that accepts everything; {@link #validConfig()} by default. */
    protected Map<String, String> exportConfig() {
        return validConfig();
    }

    /** The context for exporting to that destination; {@link #contextBuilder()} by default. */
    protected TestPluginContext exportContext() {
        return contextBuilder().build();
    }

    // ---------------------------------------------------------------- the factory's kinds and limits

    @Test
    public void declaresTheKindsItTakesAndTheSamplesCoverThem() {
        C config = configured(validConfig());
        Set<SignalKind> kinds = factory().signals(config);
        assertNotNull(kinds, "signals() returned null");
        assertFalse(kinds.isEmpty(), "signals() must name at least one kind, or the sink never gets anything");
        List<Signal> samples = sampleSignals();
        assertFalse(samples.isEmpty(), "sampleSignals() is empty: the export tests would prove nothing");
        Set<SignalKind> sampled = EnumSet.noneOf(SignalKind.class);
        samples.forEach(signal -> sampled.add(signal.kind()));
        assertEquals(kinds, sampled, "sampleSignals() must hold signals of exactly the kinds signals() declares");
    }

    @Test
    public void batchLimitsAreWithinThePlatformsAndHoldTheSamples() {
        C config = configured(validConfig());
        BatchLimits limits = factory().batchLimits(config);
        assertNotNull(limits, "batchLimits() returned null");
        assertTrue(limits.maxItems() <= BatchLimits.DEFAULT.maxItems(), "a sink may only tighten maxItems: "
                + limits);
        assertTrue(limits.maxBytes() <= BatchLimits.DEFAULT.maxBytes(), "a sink may only tighten maxBytes: "
                + limits);
        List<Signal> samples = sampleSignals();
        long bytes = samples.stream().mapToLong(Signal::estimatedBytes).sum();
        assertTrue(samples.size() <= limits.maxItems() && bytes <= limits.maxBytes(), "the samples ("
                + samples.size() + " signals, " + bytes + " bytes) must fit one batch of " + limits);
    }

    // ---------------------------------------------------------------- the sink

    @Test
    public void exportToAnAcceptingDestinationSucceeds() {
        try (TestPluginContext context = exportContext()) {
            Sink sink = create(configured(exportConfig()), context);
            try {
                Outcome outcome = export(sink);
                assertInstanceOf(ExportResult.Success.class, outcome.resultOrFail(),
                        "exporting the samples to a destination that accepts them; log:\n" + context.log().dump());
            } finally {
                closeTwice(sink);
            }
        }
    }

    @Test
    public void closeIsSafeTwiceBeforeAndAfterExporting() {
        try (TestPluginContext context = exportContext()) {
            closeTwice(create(configured(exportConfig()), context));
            Sink used = create(configured(exportConfig()), context);
            export(used);
            closeTwice(used);
        }
    }

    @Test
    public void apiKeyNeverShownInConfigSinkResultOrLog() {
        try (TestPluginContext context = exportContext()) {
            C config = configured(exportConfig());
            Sink sink = create(config, context);
            try {
                Outcome outcome = export(sink);
                assertKeyNotShown(context, List.of(String.valueOf(config), String.valueOf(sink),
                        outcome.describe()));
            } finally {
                closeTwice(sink);
            }
        }
    }

    // ---------------------------------------------------------------- helpers for subclasses

    /** How an export ended: a result, or the failure of an exceptionally completed stage. */
    protected record Outcome(ExportResult result, Throwable failure) {

        /** The result; fails the test if the stage completed exceptionally. */
        public ExportResult resultOrFail() {
            if (failure != null) {
                return fail("the export stage completed exceptionally instead of with a result: " + failure,
                        failure);
            }
            return result;
        }

        /** Everything a user could read of this outcome: the result, or the failure and its causes. */
        public String describe() {
            if (failure == null) {
                return String.valueOf(result);
            }
            StringBuilder text = new StringBuilder();
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                text.append(t).append(" <- ");
            }
            return text.toString();
        }
    }

    protected final Sink create(C config, TestPluginContext context) {
        Sink sink;
        try {
            sink = factory().create(config, context);
        } catch (RuntimeException e) {
            return fail("create threw: " + e, e);
        }
        assertNotNull(sink, "create returned null");
        return sink;
    }

    /** Exports the samples; export() must return a stage, not throw, and the stage must complete. */
    protected final Outcome export(Sink sink) {
        List<Signal> batch = List.copyOf(sampleSignals());
        CompletionStage<ExportResult> stage;
        try {
            stage = sink.export(batch);
        } catch (RuntimeException e) {
            return fail("export() threw instead of returning a stage: " + e, e);
        }
        assertNotNull(stage, "export() returned null instead of a stage");
        try {
            ExportResult result = stage.toCompletableFuture().get(FactoryChecks.STAGE_GUARD_SECONDS,
                    TimeUnit.SECONDS);
            assertNotNull(result, "the export stage completed with null instead of an ExportResult");
            return new Outcome(result, null);
        } catch (ExecutionException e) {
            return new Outcome(null, e.getCause());
        } catch (TimeoutException e) {
            return fail("the export stage did not complete within " + FactoryChecks.STAGE_GUARD_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while exporting");
        }
    }

    protected static void closeTwice(Sink sink) {
        for (String which : List.of("close", "a second close")) {
            try {
                sink.close();
            } catch (Exception e) {
                fail(which + " of the sink threw: " + e, e);
            }
        }
    }

    /**
     * Neither the key nor its unmasked part (all but the last four characters, which {@code Secret.masked()} may
     * show) appears in these texts, in any log line, or in telemetry names and tags.
     */
    protected final void assertKeyNotShown(TestPluginContext context, List<String> texts) {
        String key = apiKey();
        String unmasked = key.substring(0, Math.max(1, key.length() - 4));
        List<String> all = new ArrayList<>(texts);
        context.log().lines().forEach(line -> all.add("log: " + line));
        context.telemetrySnapshot().keySet().forEach(name -> all.add("telemetry: " + name));
        for (String text : all) {
            assertFalse(text.contains(key) || text.contains(unmasked), "the API key shows in: " + text
                    .replace(key, "<API KEY>").replace(unmasked, "<API KEY>"));
        }
    }
}
