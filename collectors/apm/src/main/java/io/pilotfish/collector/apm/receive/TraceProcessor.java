package io.pilotfish.collector.apm.receive;

import io.pilotfish.collector.apm.filter.DropReason;
import io.pilotfish.collector.apm.filter.TraceFilters;
import io.pilotfish.collector.apm.normalize.ChunkResult;
import io.pilotfish.collector.apm.normalize.NormalizationStats;
import io.pilotfish.collector.apm.normalize.SpanTruncator;
import io.pilotfish.collector.apm.normalize.TraceNormalizer;
import io.pilotfish.collector.apm.obfuscate.TraceObfuscator;
import io.pilotfish.collector.apm.sample.SamplingOutcome;
import io.pilotfish.collector.apm.sample.TraceSampler;
import io.pilotfish.collector.apm.stats.Concentrator;
import io.pilotfish.collector.apm.stats.StatsSource;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One tracer payload's chunks through the trace-agent's steps, in its order ({@code pkg/trace/agent/agent.go}
 * {@code Process}): normalise (and flag top-level spans), the ignore-resources and tag filters on the root,
 * obfuscation and truncation of every span, tag replacement, the payload's env, version and host taken from the first
 * root that has them, stats for tracers that did not compute them (before sampling, so dropped traces count), then
 * sampling. What sampling keeps is returned, each chunk carrying the payload's final {@link TracerInfo}.
 *
 * <p>Thread-safe: every part is (the concentrator and samplers lock inside); one call per payload, on a decoder
 * thread. Public for the benchmarks, which measure this very path.
 */
public final class TraceProcessor {

    /** What the request said about itself, beyond the chunks. */
    public record PayloadContext(String lang, String containerId, List<String> containerTags,
                                 boolean clientComputedTopLevel, boolean clientComputedStats,
                                 long clientDroppedP0Traces) {

        public PayloadContext {
            lang = lang == null ? "" : lang;
            containerId = containerId == null ? "" : containerId;
            containerTags = containerTags == null ? List.of() : containerTags;
        }
    }

    /** What became of one payload: the chunks to send on, and what was dropped by whom. */
    public record Outcome(List<TraceChunk> kept, int tracesDropped, NormalizationStats normalization,
                          Map<String, Integer> filteredSpans) {
    }

    private static final String TAG_ENV = "env";
    private static final String TAG_VERSION = "version";
    private static final String TAG_HOSTNAME = "_dd.hostname";
    private static final String TAG_GIT_COMMIT = "_dd.git.commit.sha";

    private final TraceNormalizer normalizer;
    private final TraceFilters filters;
    private final TraceObfuscator obfuscator;
    private final SpanTruncator truncator;
    private final Concentrator concentrator;
    private final TraceSampler sampler;
    private final String agentEnv;
    private final String agentHostname;

    public TraceProcessor(TraceNormalizer normalizer, TraceFilters filters, TraceObfuscator obfuscator,
                   SpanTruncator truncator, Concentrator concentrator, TraceSampler sampler, String agentEnv,
                   String agentHostname) {
        this.normalizer = Objects.requireNonNull(normalizer);
        this.filters = Objects.requireNonNull(filters);
        this.obfuscator = Objects.requireNonNull(obfuscator);
        this.truncator = Objects.requireNonNull(truncator);
        this.concentrator = Objects.requireNonNull(concentrator);
        this.sampler = Objects.requireNonNull(sampler);
        this.agentEnv = agentEnv;
        this.agentHostname = agentHostname;
    }

    public Outcome process(List<TraceChunk> chunks, TracerInfo tracer, PayloadContext request) {
        NormalizationStats normalization = new NormalizationStats();
        Map<String, Integer> filtered = new HashMap<>();
        String env = tracer.env();
        String appVersion = tracer.appVersion();
        String hostname = tracer.hostname();
        double droppedP0Weight = request.clientDroppedP0Traces() > 0 && !chunks.isEmpty()
                ? (double) request.clientDroppedP0Traces() / chunks.size() : 0;
        List<TraceChunk> kept = new ArrayList<>(chunks.size());
        int dropped = 0;
        for (TraceChunk raw : chunks) {
            ChunkResult result = normalizer.normalize(raw, request.lang(), request.clientComputedTopLevel(),
                    normalization);
            if (!(result instanceof ChunkResult.Kept normal)) {
                dropped++;
                continue;
            }
            Span root = normal.root();
            DropReason denied = filters.check(root);
            if (denied != null) {
                filtered.merge(denied.tag(), normal.chunk().spans().size(), Integer::sum);
                dropped++;
                continue;
            }
            List<Span> spans = filters.replaceTags(scrub(normal.chunk().spans()));
            root = spans.get(normal.rootIndex());
            TraceChunk chunk = spans == normal.chunk().spans() ? normal.chunk()
                    : withSpans(normal.chunk(), spans, tracer);
            if (env.isEmpty()) {
                String fromRoot = TraceNormalizer.env(root, spans);
                env = fromRoot == null ? "" : fromRoot;
            }
            if (appVersion.isEmpty()) {
                appVersion = root.meta().getOrDefault(TAG_VERSION, "");
            }
            if (hostname.isEmpty()) {
                hostname = root.meta().getOrDefault(TAG_HOSTNAME, "");
            }
            if (!request.clientComputedStats()) {
                concentrator.add(statsSource(env, hostname, appVersion, request, root), spans, chunk.origin(), root);
            }
            SamplingOutcome outcome = sampler.sample(chunk, env, droppedP0Weight);
            if (!outcome.kept()) {
                dropped++;
            }
            if (outcome.chunk() != null) {
                kept.add(outcome.chunk());
            }
        }
        TracerInfo resolved = new TracerInfo(tracer.containerId(), tracer.languageName(), tracer.languageVersion(),
                tracer.tracerVersion(), tracer.runtimeId(), tracer.tags(), env, hostname, appVersion);
        List<TraceChunk> out = new ArrayList<>(kept.size());
        for (TraceChunk chunk : kept) {
            out.add(new TraceChunk(resolved, chunk.priority(), chunk.origin(), chunk.spans(), chunk.tags(),
                    chunk.droppedTrace()));
        }
        return new Outcome(out, dropped, normalization, filtered);
    }

    private StatsSource statsSource(String env, String hostname, String version, PayloadContext request, Span root) {
        String statsEnv = env.isEmpty() ? agentEnv : env;
        String statsHost = hostname.isEmpty() ? agentHostname : hostname;
        String commit = root.meta().getOrDefault(TAG_GIT_COMMIT, "");
        if (commit.isEmpty()) {
            commit = tagValue(request.containerTags(), "git.commit.sha:");
        }
        return new StatsSource(statsEnv, statsHost, version, request.lang(), request.containerId(),
                request.containerTags(), commit, tagValue(request.containerTags(), "image_tag:"));
    }

    private static String tagValue(List<String> tags, String prefix) {
        for (String tag : tags) {
            if (tag.startsWith(prefix)) {
                return tag.substring(prefix.length());
            }
        }
        return "";
    }

    /** Obfuscation, then truncation, of every span; the list given when no span changed. */
    private List<Span> scrub(List<Span> spans) {
        Span[] changed = null;
        for (int i = 0; i < spans.size(); i++) {
            Span span = spans.get(i);
            TraceObfuscator.ObfuscatedSpan clean = obfuscator.obfuscate(span.type(), span.resource(), span.meta());
            Span next = span;
            if (clean.resource() != span.resource() || clean.meta() != span.meta()) {
                next = new Span(span.service(), span.name(), clean.resource(), span.traceId(), span.spanId(),
                        span.parentId(), span.start(), span.duration(), span.error(), clean.meta(), span.metrics(),
                        span.type(), span.metaStruct(), span.links(), span.events());
            }
            next = truncator.truncate(next);
            if (next != span) {
                if (changed == null) {
                    changed = spans.toArray(new Span[0]);
                }
                changed[i] = next;
            }
        }
        return changed == null ? spans : List.of(changed);
    }

    private static TraceChunk withSpans(TraceChunk chunk, List<Span> spans, TracerInfo tracer) {
        return new TraceChunk(tracer, chunk.priority(), chunk.origin(), spans, chunk.tags(), chunk.droppedTrace());
    }
}
