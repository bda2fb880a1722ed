package io.pilotfish.collector.apm.receive;

import io.pilotfish.collector.apm.decode.DecodedTracerPayload;
import io.pilotfish.collector.apm.decode.DecodedTraces;
import io.pilotfish.collector.apm.decode.TraceDecodeException;
import io.pilotfish.collector.apm.decode.TraceDecoder;
import io.pilotfish.collector.apm.normalize.SpanFlags;
import io.pilotfish.collector.apm.obfuscate.TraceObfuscator;
import io.pilotfish.collector.apm.receive.ApmReceiver.Endpoint;
import io.pilotfish.collector.apm.sample.RatesResponse;
import io.pilotfish.collector.apm.sample.TraceSampler;
import io.pilotfish.collector.apm.stats.ClientStats;
import io.pilotfish.collector.apm.stats.ClientStatsAggregator;
import io.pilotfish.collector.apm.stats.ClientStatsDecoder;
import io.pilotfish.spi.Emitter;
import io.pilotfish.spi.ecs.Cardinality;
import io.pilotfish.spi.ecs.TaskMetadataSource;
import io.pilotfish.spi.ecs.TaskSnapshot;
import io.pilotfish.spi.signal.TagSet;
import io.pilotfish.spi.trace.ApmStats;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the receiver does with a payload once its body is in, on a decoder thread: traces decoded and taken through
 * the {@link TraceProcessor} to the sinks, tracer stats decoded and aggregated, and the answer the Agent gives.
 * Thread-safe: a decoder per thread, the rest locks inside.
 */
final class PayloadWork {

    static final String HEADER_CONTAINER_TAGS = "_dd.tags.container";
    static final byte[] OK = "OK\n".getBytes(StandardCharsets.UTF_8);
    private static final Duration QUEUE_WAIT = Duration.ofSeconds(2);
    /** Chunks handed to the sinks between two waits for their queue's room. */
    private static final int EMIT_SLICE = 32;

    private final ThreadLocal<TraceDecoder> traceDecoders;
    private final ThreadLocal<ClientStatsDecoder> statsDecoders;
    private final ApmTelemetry telemetry;
    private final TraceProcessor processor;
    private final TraceSampler sampler;
    private final TraceObfuscator obfuscator;
    private final ClientStatsAggregator clientStats;
    private final TaskMetadataSource metadata;
    private final String agentEnv;
    private final Supplier<Emitter> emitter;

    PayloadWork(long maxDecodedBytes, ApmTelemetry telemetry, TraceProcessor processor, TraceSampler sampler,
                TraceObfuscator obfuscator, ClientStatsAggregator clientStats, TaskMetadataSource metadata,
                String agentEnv, Supplier<Emitter> emitter) {
        this.traceDecoders = ThreadLocal.withInitial(() -> new TraceDecoder(maxDecodedBytes));
        this.statsDecoders = ThreadLocal.withInitial(() -> new ClientStatsDecoder(maxDecodedBytes));
        this.telemetry = telemetry;
        this.processor = processor;
        this.sampler = sampler;
        this.obfuscator = obfuscator;
        this.clientStats = clientStats;
        this.metadata = metadata;
        this.agentEnv = agentEnv;
        this.emitter = emitter;
    }

    Answer traces(Endpoint endpoint, Map<String, String> headers, byte[] body, int length) {
        String lang = header(headers, "Datadog-Meta-Lang");
        String containerId = containerId(headers);
        List<String> containerTags = containerTags(containerId);
        Map<String, String> tracerTags = containerTags.isEmpty() ? Map.of()
                : Map.of(HEADER_CONTAINER_TAGS, String.join(",", containerTags));
        TracerInfo fromHeaders = new TracerInfo(containerId, lang, header(headers, "Datadog-Meta-Lang-Version"),
                header(headers, "Datadog-Meta-Tracer-Version"), "", tracerTags, "", "", "");
        TraceDecoder decoder = traceDecoders.get();
        List<TraceChunk> chunks;
        TracerInfo tracer;
        int traceCount;
        int spanCount;
        try {
            switch (endpoint) {
                case V07_TRACES -> {
                    DecodedTracerPayload payload = decoder.decodeV07(body, 0, length);
                    tracer = enrich(payload.tracer(), fromHeaders, tracerTags);
                    chunks = payload.toChunks(tracer);
                    traceCount = payload.chunks().size();
                    spanCount = payload.spanCount();
                }
                case V05_TRACES -> {
                    DecodedTraces decoded = decoder.decodeV05(body, 0, length);
                    tracer = fromHeaders;
                    chunks = decoded.toChunks(tracer);
                    traceCount = decoded.traces().size();
                    spanCount = decoded.spanCount();
                }
                default -> {
                    DecodedTraces decoded = decodeV03V04(decoder, header(headers, "Content-Type"), body, length);
                    tracer = fromHeaders;
                    chunks = decoded.toChunks(tracer);
                    traceCount = decoded.traces().size();
                    spanCount = decoded.spanCount();
                }
            }
        } catch (TraceDecodeException e) {
            telemetry.payloadError(endpoint.tag, e.reason().tag());
            boolean tooLarge = e.reason() == TraceDecodeException.Reason.TOO_LARGE;
            return Answer.text(tooLarge ? 413 : 400, e.reason().tag() + ": " + e.getMessage());
        }
        telemetry.received(endpoint.tag, lang, traceCount, spanCount, length);
        long droppedP0Traces = parseCount(header(headers, "Datadog-Client-Dropped-P0-Traces"));
        telemetry.clientDropped(droppedP0Traces, parseCount(header(headers, "Datadog-Client-Dropped-P0-Spans")));
        TraceProcessor.PayloadContext request = new TraceProcessor.PayloadContext(lang, containerId, containerTags,
                SpanFlags.headerSaysYes(header(headers, "Datadog-Client-Computed-Top-Level")),
                !header(headers, "Datadog-Client-Computed-Stats").isEmpty(), droppedP0Traces);
        TraceProcessor.Outcome outcome = processor.process(chunks, tracer, request);
        telemetry.normalization(outcome.normalization());
        outcome.filteredSpans().forEach((reason, spans) -> telemetry.dropped(reason, 0, spans));
        telemetry.sampled(chunks.size() - outcome.tracesDropped(), outcome.tracesDropped());
        Emitter out = emitter.get();
        List<TraceChunk> kept = outcome.kept();
        if (out != null && !kept.isEmpty()) {
            // On a decoder thread: waiting here for the sinks' queue (while they succeed) holds the decoder, so that
            // under more load than the intake takes, tracers get 429 and keep their payload, instead of the agent
            // taking it in only to drop it. In slices: a whole payload at once would push out what the queue holds.
            long deadline = System.nanoTime() + QUEUE_WAIT.toNanos();
            for (int from = 0; from < kept.size(); from += EMIT_SLICE) {
                long left = Math.max(0, deadline - System.nanoTime());
                out.awaitCapacity(Duration.ofNanos(left));
                out.emitAll(kept.subList(from, Math.min(kept.size(), from + EMIT_SLICE)));
            }
            telemetry.chunksSent(kept.size());
        }
        if (endpoint == Endpoint.V02_TRACES || endpoint == Endpoint.V03_TRACES) {
            return new Answer(200, "text/plain; charset=utf-8", OK, Map.of(), false, null);
        }
        return rates(headerOrNull(headers, TraceSampler.ratesVersionHeader()), 200);
    }

    private static DecodedTraces decodeV03V04(TraceDecoder decoder, String contentType, byte[] body, int length)
            throws TraceDecodeException {
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim()
                .toLowerCase(Locale.ROOT);
        return switch (type) {
            case "application/msgpack" -> decoder.decodeMsgpackTraces(body, 0, length);
            case "application/json", "text/json", "" -> decoder.decodeJsonTraces(body, 0, length);
            default -> {
                // The Agent tries JSON, then msgpack, for a type it does not know.
                try {
                    yield decoder.decodeJsonTraces(body, 0, length);
                } catch (TraceDecodeException json) {
                    yield decoder.decodeMsgpackTraces(body, 0, length);
                }
            }
        };
    }

    Answer rates(String requestVersion, int status) {
        RatesResponse rates = sampler.ratesResponse(requestVersion);
        Map<String, String> headers = rates.versionHeader() == null ? Map.of()
                : Map.of(TraceSampler.ratesVersionHeader(), rates.versionHeader());
        return new Answer(status, "application/json", rates.body(), headers, false, null);
    }

    Answer stats(Map<String, String> headers, byte[] body, int length) {
        ApmStats decoded;
        try {
            decoded = statsDecoders.get().decode(body, 0, length);
        } catch (TraceDecodeException e) {
            telemetry.payloadError(Endpoint.STATS.tag, e.reason().tag());
            boolean tooLarge = e.reason() == TraceDecodeException.Reason.TOO_LARGE;
            return Answer.text(tooLarge ? 413 : 400, e.reason().tag() + ": " + e.getMessage());
        }
        String containerId = containerId(headers);
        ApmStats prepared = ClientStats.prepare(decoded, header(headers, "Datadog-Meta-Lang"),
                header(headers, "Datadog-Meta-Tracer-Version"), containerId, containerTags(containerId), agentEnv,
                true);
        clientStats.add(obfuscateResources(prepared));
        telemetry.statsPayload(decoded.buckets().size());
        return new Answer(200, null, new byte[0], Map.of(), false, null);
    }

    /** Tracers send raw SQL and Redis resources in their stats too; the Agent obfuscates them as span resources. */
    private ApmStats obfuscateResources(ApmStats in) {
        List<ApmStats.Bucket> buckets = new ArrayList<>(in.buckets().size());
        for (ApmStats.Bucket bucket : in.buckets()) {
            List<ApmStats.Group> groups = new ArrayList<>(bucket.groups().size());
            for (ApmStats.Group g : bucket.groups()) {
                String resource = obfuscator.obfuscateStatsResource(g.type(), g.resource());
                groups.add(resource.equals(g.resource()) ? g : new ApmStats.Group(g.service(), g.name(), resource,
                        g.httpStatusCode(), g.type(), g.dbType(), g.hits(), g.errors(), g.duration(), g.okSummary(),
                        g.errorSummary(), g.synthetics(), g.topLevelHits(), g.spanKind(), g.peerTags(),
                        g.isTraceRoot(), g.grpcStatusCode(), g.httpMethod(), g.httpEndpoint()));
            }
            buckets.add(new ApmStats.Bucket(bucket.start(), bucket.duration(), groups, bucket.agentTimeShift()));
        }
        return new ApmStats(in.hostname(), in.env(), in.version(), buckets, in.lang(), in.tracerVersion(),
                in.runtimeId(), in.sequence(), in.agentAggregation(), in.service(), in.containerId(), in.tags(),
                in.gitCommitSha(), in.imageTag(), in.clientComputed());
    }

    /** A v0.7 payload's own fields, with the container id from the headers when it has none and container tags. */
    private static TracerInfo enrich(TracerInfo sent, TracerInfo fromHeaders, Map<String, String> containerTags) {
        Map<String, String> tags = sent.tags();
        if (!containerTags.isEmpty()) {
            tags = new HashMap<>(sent.tags());
            tags.putAll(containerTags);
        }
        return new TracerInfo(sent.containerId().isEmpty() ? fromHeaders.containerId() : sent.containerId(),
                sent.languageName().isEmpty() ? fromHeaders.languageName() : sent.languageName(),
                sent.languageVersion().isEmpty() ? fromHeaders.languageVersion() : sent.languageVersion(),
                sent.tracerVersion().isEmpty() ? fromHeaders.tracerVersion() : sent.tracerVersion(),
                sent.runtimeId(), tags, sent.env(), sent.hostname(), sent.appVersion());
    }

    /** {@code Datadog-Container-ID}, else the container of {@code Datadog-Entity-ID} ({@code ci-}/{@code cid-}). */
    static String containerId(Map<String, String> headers) {
        String id = header(headers, "Datadog-Container-ID").trim();
        if (!id.isEmpty()) {
            return id;
        }
        for (String part : header(headers, "Datadog-Entity-ID").split(",")) {
            String p = part.trim();
            if (p.startsWith("cid-")) {
                return p.substring(4);
            }
            if (p.startsWith("ci-")) {
                return p.substring(3);
            }
        }
        return "";
    }

    /**
     * The container's tags, as the Agent tags its traces (high cardinality); without a container id, the task's
     * tags, so that traces from a tracer that could not read its container id still carry their task.
     */
    List<String> containerTags(String containerId) {
        try {
            Optional<TaskSnapshot> snapshot = metadata.current();
            if (snapshot.isEmpty()) {
                return List.of();
            }
            TagSet tags = containerId.isEmpty() ? snapshot.get().taskTags(Cardinality.ORCHESTRATOR)
                    : snapshot.get().containerTags(containerId, Cardinality.HIGH);
            return tags.asList();
        } catch (RuntimeException e) {
            return List.of(); // a broken metadata source costs the tags, never the trace
        }
    }

    /** The header's value, "" when it was sent empty, null when it was not sent. */
    static String headerOrNull(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** The header's value, "" when it was not sent. */
    static String header(Map<String, String> headers, String name) {
        String value = headers.get(name);
        if (value != null) {
            return value;
        }
        value = headerOrNull(headers, name);
        return value == null ? "" : value;
    }

    private static long parseCount(String value) {
        try {
            return value.isEmpty() ? 0 : Math.max(0, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
