package io.pilotfish.sink.datadog.traces;

import io.pilotfish.spi.signal.Signal;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.SpanEvent;
import io.pilotfish.spi.trace.SpanLink;
import io.pilotfish.spi.trace.TagMap;
import io.pilotfish.spi.trace.TraceChunk;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Turns a batch of {@link TraceChunk}s into the trace intake's protobuf {@code AgentPayload} (datadog-agent
 * {@code pkg/proto/datadog/trace/agent_payload.proto}, {@code tracer_payload.proto}, {@code span.proto}):
 *
 * <pre>
 * AgentPayload  { hostName 1; env 2; repeated TracerPayload tracerPayloads 5; agentVersion 7; double targetTPS 8;
 *                 double errorTPS 9; bool rareSamplerEnabled 10 }                  (tags 6, idx 11: not sent)
 * TracerPayload { containerID 1; languageName 2; languageVersion 3; tracerVersion 4; runtimeID 5;
 *                 repeated TraceChunk chunks 6; map tags 7; env 8; hostname 9; appVersion 10 }
 * TraceChunk    { int32 priority 1; origin 2; repeated Span spans 3; map tags 4; bool droppedTrace 5 }
 * Span          { service 1; name 2; resource 3; uint64 traceID 4, spanID 5, parentID 6; int64 start 7,
 *                 duration 8; int32 error 9; map meta 10; map&lt;string,double&gt; metrics 11; type 12;
 *                 map&lt;string,bytes&gt; meta_struct 13; repeated SpanLink spanLinks 14;
 *                 repeated SpanEvent spanEvents 15 }
 * SpanLink      { uint64 traceID 1, traceID_high 2, spanID 3; map attributes 4; tracestate 5; uint32 flags 6 }
 * SpanEvent     { fixed64 time_unix_nano 1; name 2; map&lt;string,AttributeAnyValue&gt; attributes 3 }
 * AttributeAnyValue { enum type 1; string_value 2; bool_value 3; int64 int_value 4; double double_value 5;
 *                     AttributeArray array_value 6 }     AttributeArray { repeated AttributeArrayValue values 1 }
 * </pre>
 *
 * Consecutive chunks of the same tracer ({@link TracerInfo}) share one {@code TracerPayload}, as the tracer sent them.
 * The payload is written once, in field-number order; a batch whose payload would pass the size limit is refused as
 * soon as that shows ({@link OverLimit}: the platform splits it), and a chunk that cannot fit even alone is left out
 * and counted.
 */
final class AgentPayloadEncoder {

    // AgentPayload
    private static final int AGENT_HOST_NAME = 1;
    private static final int AGENT_ENV = 2;
    private static final int AGENT_TRACER_PAYLOADS = 5;
    private static final int AGENT_VERSION = 7;
    private static final int AGENT_TARGET_TPS = 8;
    private static final int AGENT_ERROR_TPS = 9;
    private static final int AGENT_RARE_SAMPLER_ENABLED = 10;
    // TracerPayload
    private static final int TRACER_CONTAINER_ID = 1;
    private static final int TRACER_LANGUAGE_NAME = 2;
    private static final int TRACER_LANGUAGE_VERSION = 3;
    private static final int TRACER_TRACER_VERSION = 4;
    private static final int TRACER_RUNTIME_ID = 5;
    private static final int TRACER_CHUNKS = 6;
    private static final int TRACER_TAGS = 7;
    private static final int TRACER_ENV = 8;
    private static final int TRACER_HOSTNAME = 9;
    private static final int TRACER_APP_VERSION = 10;
    // TraceChunk
    private static final int CHUNK_PRIORITY = 1;
    private static final int CHUNK_ORIGIN = 2;
    private static final int CHUNK_SPANS = 3;
    private static final int CHUNK_TAGS = 4;
    private static final int CHUNK_DROPPED_TRACE = 5;
    // Span
    private static final int SPAN_SERVICE = 1;
    private static final int SPAN_NAME = 2;
    private static final int SPAN_RESOURCE = 3;
    private static final int SPAN_TRACE_ID = 4;
    private static final int SPAN_SPAN_ID = 5;
    private static final int SPAN_PARENT_ID = 6;
    private static final int SPAN_START = 7;
    private static final int SPAN_DURATION = 8;
    private static final int SPAN_ERROR = 9;
    private static final int SPAN_META = 10;
    private static final int SPAN_METRICS = 11;
    private static final int SPAN_TYPE = 12;
    private static final int SPAN_META_STRUCT = 13;
    private static final int SPAN_LINKS = 14;
    private static final int SPAN_EVENTS = 15;
    // SpanLink
    private static final int LINK_TRACE_ID = 1;
    private static final int LINK_TRACE_ID_HIGH = 2;
    private static final int LINK_SPAN_ID = 3;
    private static final int LINK_ATTRIBUTES = 4;
    private static final int LINK_TRACESTATE = 5;
    private static final int LINK_FLAGS = 6;
    // SpanEvent
    private static final int EVENT_TIME_UNIX_NANO = 1;
    private static final int EVENT_NAME = 2;
    private static final int EVENT_ATTRIBUTES = 3;
    // AttributeAnyValue and AttributeArrayValue (the latter without 6)
    private static final int VALUE_TYPE = 1;
    private static final int VALUE_STRING = 2;
    private static final int VALUE_BOOL = 3;
    private static final int VALUE_INT = 4;
    private static final int VALUE_DOUBLE = 5;
    private static final int VALUE_ARRAY = 6;
    // AttributeArray
    private static final int ARRAY_VALUES = 1;
    // map entries
    private static final int ENTRY_VALUE = 2;

    /** The {@code AgentPayload} fields that describe the agent rather than the traces. */
    record AgentFields(String hostname, String env, String agentVersion, double targetTps, double errorTps,
                       boolean rareSamplerEnabled) {
    }

    /** What could not be sent, counted once the batch is final. */
    record Dropped(int oversizedChunks, int oversizedSpans, int unsupported) {
        static final Dropped NONE = new Dropped(0, 0, 0);
    }

    sealed interface Outcome {
    }

    /**
     * A payload to send.
     *
     * @param payload   protobuf bytes {@code [0, length)}
     * @param languages the tracers' languages, sorted and {@code |}-joined, for {@code X-Datadog-Reported-Languages}
     */
    record Encoded(byte[] payload, int length, int chunks, int spans, String languages, Dropped dropped)
            implements Outcome {
    }

    /** Nothing of the batch can be sent (only oversized chunks, or signals that are no traces). */
    record NothingToSend(Dropped dropped) implements Outcome {
    }

    /** The batch does not fit one payload; nothing was sent. */
    record OverLimit(String reason) implements Outcome {
    }

    /**
     * The most heap one thread's {@link Scratch} keeps between batches: its buffer up to {@link Scratch#KEEP_BYTES}
     * (a larger one is let go after its batch) and the string cache.
     */
    static final long SCRATCH_BYTES_PER_THREAD = Scratch.KEEP_BYTES + 16 + StringBytes.MAX_BYTES;

    /**
     * Per thread, since the sink's batches are encoded on the platform's export threads, each batch on one: the
     * protobuf buffer, reused so that a batch of a megabyte does not allocate and zero a megabyte each time, and the
     * UTF-8 of the strings every span repeats.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        static final int KEEP_BYTES = 1 << 20;
        /** Protobuf bytes a span takes, about: for sizing a new buffer so that it rarely regrows. */
        private static final int BYTES_PER_SPAN = 640;
        private final StringBytes strings = new StringBytes();
        private ProtoBuffer buffer;

        ProtoBuffer bufferFor(List<? extends Signal> batch, int maxPayloadBytes) {
            if (buffer != null) {
                buffer.reset();
                return buffer;
            }
            long spans = 0;
            for (Signal signal : batch) {
                if (signal instanceof TraceChunk chunk) {
                    spans += chunk.spans().size();
                }
            }
            buffer = new ProtoBuffer((int) Math.min(maxPayloadBytes + 4096L, 4096L + spans * BYTES_PER_SPAN),
                    strings);
            return buffer;
        }
    }

    /**
     * Lets go of this thread's buffer if its last batch grew it past what is kept between batches; call once the
     * last {@link Encoded} payload has been compressed.
     */
    static void releaseLarge() {
        Scratch scratch = SCRATCH.get();
        if (scratch.buffer != null && scratch.buffer.capacity() > Scratch.KEEP_BYTES) {
            scratch.buffer = null;
        }
    }

    private final int maxPayloadBytes;

    /** @param maxPayloadBytes the largest {@code AgentPayload}, before compression */
    AgentPayloadEncoder(int maxPayloadBytes) {
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /**
     * The batch's {@code AgentPayload}. An {@link Encoded} payload lives in this thread's buffer: it is good until the
     * thread's next call, long enough to compress it.
     */
    Outcome encode(List<? extends Signal> batch, AgentFields agent) {
        Scratch scratch = SCRATCH.get();
        ProtoBuffer out = scratch.bufferFor(batch, maxPayloadBytes);
        out.stringField(AGENT_HOST_NAME, agent.hostname());
        out.stringField(AGENT_ENV, agent.env());
        int headerBytes = out.position();
        byte[] agentTrailer = agentTrailer(agent);

        SortedSet<String> languages = new TreeSet<>();
        TracerGroup group = null;
        int chunks = 0;
        int spans = 0;
        int oversizedChunks = 0;
        int oversizedSpans = 0;
        int unsupported = 0;
        for (Signal signal : batch) {
            if (!(signal instanceof TraceChunk chunk)) {
                unsupported++;
                continue;
            }
            if (group == null || !group.holds(chunk.tracer())) {
                if (group != null) {
                    group.close(out);
                }
                group = TracerGroup.open(out, chunk.tracer());
            }
            int chunkStart = out.position();
            writeChunk(out, chunk);
            if (group.payloadSizeIfClosed(out) + agentTrailer.length > maxPayloadBytes) {
                long alone = headerBytes + group.sizeWithOnly(out.position() - chunkStart) + agentTrailer.length;
                if (alone > maxPayloadBytes) {
                    // Never fits, in this batch or any other: leave it out, count it once the batch is final.
                    out.rewind(chunkStart);
                    oversizedChunks++;
                    oversizedSpans += chunk.spans().size();
                    continue;
                }
                return new OverLimit("the AgentPayload of " + batch.size() + " trace chunks is over "
                        + maxPayloadBytes + " bytes before compression (max-payload-bytes)");
            }
            group.chunks++;
            chunks++;
            spans += chunk.spans().size();
            if (!chunk.tracer().languageName().isEmpty()) {
                languages.add(chunk.tracer().languageName());
            }
        }
        if (group != null) {
            group.close(out);
        }
        Dropped dropped = oversizedChunks == 0 && unsupported == 0 ? Dropped.NONE
                : new Dropped(oversizedChunks, oversizedSpans, unsupported);
        if (chunks == 0) {
            return new NothingToSend(dropped);
        }
        out.raw(agentTrailer);
        return new Encoded(out.buffer(), out.position(), chunks, spans, String.join("|", languages), dropped);
    }

    /** Fields 7 to 10, after the tracer payloads, as the Agent's encoder orders them. */
    private static byte[] agentTrailer(AgentFields agent) {
        ProtoBuffer out = new ProtoBuffer(64 + agent.agentVersion().length() * 3);
        out.stringField(AGENT_VERSION, agent.agentVersion());
        out.doubleField(AGENT_TARGET_TPS, agent.targetTps());
        out.doubleField(AGENT_ERROR_TPS, agent.errorTps());
        out.boolField(AGENT_RARE_SAMPLER_ENABLED, agent.rareSamplerEnabled());
        return Arrays.copyOf(out.buffer(), out.position());
    }

    /** One {@code TracerPayload} being written: its fields before the chunks are written, those after are kept. */
    private static final class TracerGroup {
        private final TracerInfo tracer;
        /** Where its field starts, to take it back if all its chunks were left out. */
        private final int start;
        private final long mark;
        private final int headerBytes;
        private final byte[] trailer;
        int chunks;

        private TracerGroup(TracerInfo tracer, int start, long mark, int headerBytes, byte[] trailer) {
            this.tracer = tracer;
            this.start = start;
            this.mark = mark;
            this.headerBytes = headerBytes;
            this.trailer = trailer;
        }

        static TracerGroup open(ProtoBuffer out, TracerInfo tracer) {
            int start = out.position();
            long mark = out.beginMessage(AGENT_TRACER_PAYLOADS, 3);
            out.stringField(TRACER_CONTAINER_ID, tracer.containerId());
            out.stringField(TRACER_LANGUAGE_NAME, tracer.languageName());
            out.stringField(TRACER_LANGUAGE_VERSION, tracer.languageVersion());
            out.stringField(TRACER_TRACER_VERSION, tracer.tracerVersion());
            out.stringField(TRACER_RUNTIME_ID, tracer.runtimeId());
            int headerBytes = out.contentSince(mark);

            ProtoBuffer after = new ProtoBuffer(256);
            writeStringMap(after, TRACER_TAGS, tracer.tags());
            after.stringField(TRACER_ENV, tracer.env());
            after.stringField(TRACER_HOSTNAME, tracer.hostname());
            after.stringField(TRACER_APP_VERSION, tracer.appVersion());
            byte[] trailer = Arrays.copyOf(after.buffer(), after.position());
            return new TracerGroup(tracer, start, mark, headerBytes, trailer);
        }

        /** The receiver hands every chunk of one tracer payload the same instance; equal ones are merged too. */
        boolean holds(TracerInfo other) {
            return other == tracer || other.equals(tracer);
        }

        /** The size of the AgentPayload so far, were this tracer payload closed now (the agent's trailer excluded). */
        long payloadSizeIfClosed(ProtoBuffer out) {
            int content = out.contentSince(mark) + trailer.length;
            return ProtoBuffer.lengthAt(mark) + ProtoBuffer.varintSize(content) + content;
        }

        /** The size of this tracer payload's field holding a single chunk of {@code chunkBytes}. */
        long sizeWithOnly(int chunkBytes) {
            long content = (long) headerBytes + chunkBytes + trailer.length;
            return 1 + ProtoBuffer.varintSize(content) + content;
        }

        void close(ProtoBuffer out) {
            if (chunks == 0) {
                out.rewind(start);
                return;
            }
            out.raw(trailer);
            out.endMessage(mark);
        }
    }

    private static void writeChunk(ProtoBuffer out, TraceChunk chunk) {
        // Room for a length under 16 KiB, as most chunks are (a web trace of tens of spans); a larger one costs a move.
        long mark = out.beginMessage(TRACER_CHUNKS, 2);
        out.int32Field(CHUNK_PRIORITY, chunk.priority());
        out.stringField(CHUNK_ORIGIN, chunk.origin());
        for (Span span : chunk.spans()) {
            writeSpan(out, span);
        }
        writeStringMap(out, CHUNK_TAGS, chunk.tags());
        out.boolField(CHUNK_DROPPED_TRACE, chunk.droppedTrace());
        out.endMessage(mark);
    }

    private static void writeSpan(ProtoBuffer out, Span span) {
        long mark = out.beginMessage(CHUNK_SPANS, 2);
        out.stringField(SPAN_SERVICE, span.service());
        out.stringField(SPAN_NAME, span.name());
        out.stringField(SPAN_RESOURCE, span.resource());
        out.varintField(SPAN_TRACE_ID, span.traceId());
        out.varintField(SPAN_SPAN_ID, span.spanId());
        out.varintField(SPAN_PARENT_ID, span.parentId());
        out.varintField(SPAN_START, span.start());
        out.varintField(SPAN_DURATION, span.duration());
        out.int32Field(SPAN_ERROR, span.error());
        writeStringMap(out, SPAN_META, span.meta());
        if (span.metrics() instanceof TagMap<Double> metrics) {
            for (int i = 0, n = metrics.size(); i < n; i++) {
                Double value = metrics.valueAt(i);
                if (value != null) {
                    out.doubleEntry(SPAN_METRICS, metrics.keyAt(i), value);
                }
            }
        } else {
            // forEach, not entrySet: the span's maps are unmodifiable views, whose iterators wrap every entry.
            span.metrics().forEach((key, value) -> {
                if (key != null && value != null) {
                    out.doubleEntry(SPAN_METRICS, key, value);
                }
            });
        }
        out.stringField(SPAN_TYPE, span.type());
        if (!span.metaStruct().isEmpty()) { // most spans have none: no lambda for them
            span.metaStruct().forEach((key, value) -> {
                if (key != null && value != null) {
                    out.bytesEntry(SPAN_META_STRUCT, key, value);
                }
            });
        }
        // Indexed loops: an iterator per span over lists that are nearly always empty is allocation for nothing.
        List<SpanLink> links = span.links();
        for (int i = 0, n = links.size(); i < n; i++) {
            writeLink(out, links.get(i));
        }
        List<SpanEvent> events = span.events();
        for (int i = 0, n = events.size(); i < n; i++) {
            writeEvent(out, events.get(i));
        }
        out.endMessage(mark);
    }

    private static void writeLink(ProtoBuffer out, SpanLink link) {
        long mark = out.beginMessage(SPAN_LINKS, 1);
        out.varintField(LINK_TRACE_ID, link.traceId());
        out.varintField(LINK_TRACE_ID_HIGH, link.traceIdHigh());
        out.varintField(LINK_SPAN_ID, link.spanId());
        writeStringMap(out, LINK_ATTRIBUTES, link.attributes());
        out.stringField(LINK_TRACESTATE, link.tracestate());
        out.uint32Field(LINK_FLAGS, link.flags());
        out.endMessage(mark);
    }

    private static void writeEvent(ProtoBuffer out, SpanEvent event) {
        long mark = out.beginMessage(SPAN_EVENTS, 2);
        out.fixed64Field(EVENT_TIME_UNIX_NANO, event.timeUnixNano());
        out.stringField(EVENT_NAME, event.name());
        for (Map.Entry<String, SpanEvent.AttributeValue> attribute : event.attributes().entrySet()) {
            if (attribute.getKey() == null || attribute.getValue() == null) {
                continue;
            }
            long entry = out.beginMessage(EVENT_ATTRIBUTES, 1);
            out.entryKey(attribute.getKey());
            long value = out.beginMessage(ENTRY_VALUE, 1);
            writeValue(out, attribute.getValue(), true);
            out.endMessage(value);
            out.endMessage(entry);
        }
        out.endMessage(mark);
    }

    /**
     * An {@code AttributeAnyValue}, or with {@code arrayAllowed} false an {@code AttributeArrayValue} (same numbers,
     * no array). Only the field of the value's type is written, beside the type.
     */
    private static void writeValue(ProtoBuffer out, SpanEvent.AttributeValue value, boolean arrayAllowed) {
        switch (value.type()) {
            case STRING -> out.stringField(VALUE_STRING, value.stringValue());
            case BOOL -> {
                out.varintField(VALUE_TYPE, 1);
                out.boolField(VALUE_BOOL, value.boolValue());
            }
            case INT -> {
                out.varintField(VALUE_TYPE, 2);
                out.varintField(VALUE_INT, value.intValue());
            }
            case DOUBLE -> {
                out.varintField(VALUE_TYPE, 3);
                out.doubleField(VALUE_DOUBLE, value.doubleValue());
            }
            case ARRAY -> {
                if (!arrayAllowed) {
                    // AttributeArrayValue has no array type; the caller skips such elements.
                    throw new IllegalStateException("nested attribute arrays are not encodable");
                }
                out.varintField(VALUE_TYPE, 4);
                long array = out.beginMessage(VALUE_ARRAY, 2);
                for (SpanEvent.AttributeValue element : value.arrayValue()) {
                    // The SPI says elements are never arrays; protobuf could not carry one, so it is left out.
                    if (element != null && element.type() != SpanEvent.AttributeType.ARRAY) {
                        long item = out.beginMessage(ARRAY_VALUES, 1);
                        writeValue(out, element, false);
                        out.endMessage(item);
                    }
                }
                out.endMessage(array);
            }
        }
    }

    private static void writeStringMap(ProtoBuffer out, int field, Map<String, String> map) {
        if (map instanceof TagMap<String> tags) {
            // A span's tags as the receiver decoded them: a plain loop, no lambda per entry.
            for (int i = 0, n = tags.size(); i < n; i++) {
                String value = tags.valueAt(i);
                if (value != null) {
                    out.stringEntry(field, tags.keyAt(i), value);
                }
            }
            return;
        }
        map.forEach((key, value) -> {
            if (key != null && value != null) {
                out.stringEntry(field, key, value);
            }
        });
    }
}
