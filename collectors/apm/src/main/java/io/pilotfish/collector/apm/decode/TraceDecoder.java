package io.pilotfish.collector.apm.decode;

import io.pilotfish.collector.apm.decode.TraceDecodeException.Reason;
import io.pilotfish.spi.Utf8Interner;
import io.pilotfish.spi.trace.Span;
import io.pilotfish.spi.trace.TracerInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the trace payloads tracers send to the trace-agent, as the agent decodes them (DA
 * {@code pkg/proto/pbgo/trace}: {@code decoder_bytes.go}, {@code decoder_v05.go}, the msgp code of {@code Span} and
 * {@code TracerPayload}; {@code pkg/trace/api/api.go} for JSON):
 * <ul>
 *   <li>{@link #decodeMsgpackTraces}: v0.4, and v0.3 sent as msgpack: an array of traces, each an array of span
 *       maps ({@link SpanMapReader});</li>
 *   <li>{@link #decodeJsonTraces}: v0.3 (and v0.2) as JSON, the same shape;</li>
 *   <li>{@link #decodeV05}: {@code [dictionary, traces]}, each span an array of 12 elements whose strings are
 *       indexes into the dictionary;</li>
 *   <li>{@link #decodeV07}: one {@code TracerPayload} map with its chunks.</li>
 * </ul>
 * Bytes after the payload's value are ignored, as the agent ignores them. Bad input of any kind gives a
 * {@link TraceDecodeException}, never another exception, and costs at most the heap budget given here plus the
 * body; nesting costs no stack. The "idx" format of {@code /v1.0/traces} is not decoded.
 *
 * <p>Not thread-safe: it keeps the strings it has seen, so that the next payload finds its services, names and tag
 * keys already made. Keep one per decoding thread (one per decoder slot of the receiver).
 */
public final class TraceDecoder {

    /** Entries of a v0.5 span array. */
    static final int V05_SPAN_ELEMENTS = 12;

    private static final byte[][] PAYLOAD_KEYS = SpanMapReader.keys("container_id", "language_name",
            "language_version", "tracer_version", "runtime_id", "chunks", "tags", "env", "hostname", "app_version");
    private static final byte[][] CHUNK_KEYS = SpanMapReader.keys("priority", "origin", "spans", "tags",
            "dropped_trace");
    /** Lists presized from a header stay small whatever it claims: they grow with what is really read. */
    private static final int MAX_PRESIZE = 1024;

    private final long maxDecodedBytes;
    private final Utf8Interner interner = new Utf8Interner();
    private final DoubleBoxes boxes = new DoubleBoxes();
    private final JsonTraceReader json;

    /**
     * @param maxDecodedBytes the estimated heap one payload's decoded traces may take; over it the payload is
     *                        refused as {@link Reason#TOO_LARGE}. Typical spans take about three times their msgpack
     *                        size; one-byte empty spans over a hundred times.
     */
    public TraceDecoder(long maxDecodedBytes) {
        if (maxDecodedBytes < 1) {
            throw new IllegalArgumentException("maxDecodedBytes must be positive, got " + maxDecodedBytes);
        }
        this.maxDecodedBytes = maxDecodedBytes;
        this.json = new JsonTraceReader(maxDecodedBytes);
    }

    /** v0.4 (and v0.3 msgpack): {@code [[span, ...], ...]}. */
    public DecodedTraces decodeMsgpackTraces(byte[] body, int offset, int length) throws TraceDecodeException {
        MsgpackReader r = reader(body, offset, length);
        int traceCount = r.readArrayHeader();
        List<List<Span>> traces = new ArrayList<>(Math.min(traceCount, MAX_PRESIZE));
        int spanCount = 0;
        for (; traceCount > 0; traceCount--) {
            List<Span> spans = readSpanArray(r, r.readArrayHeader());
            spanCount += spans.size();
            traces.add(spans);
        }
        return new DecodedTraces(traces, spanCount);
    }

    /** v0.3 (and v0.2) JSON: {@code [[span, ...], ...]} read as Go's {@code encoding/json} reads it. */
    public DecodedTraces decodeJsonTraces(byte[] body, int offset, int length) throws TraceDecodeException {
        return json.read(body, offset, length);
    }

    /**
     * v0.5: {@code [dictionary, traces]}. The outer array's length is not checked (the agent reads the two elements
     * and ignores the count); every string of a span, and every meta key, meta value and metric key, is an index
     * into the dictionary, and one out of range is an error. The spans' maps must be maps, their indexes integers;
     * numbers are read leniently as in v0.4.
     */
    public DecodedTraces decodeV05(byte[] body, int offset, int length) throws TraceDecodeException {
        MsgpackReader r = reader(body, offset, length);
        r.readArrayHeader();
        int dictionarySize = r.readArrayHeader();
        List<String> dictionary = new ArrayList<>(Math.min(dictionarySize, MAX_PRESIZE));
        for (; dictionarySize > 0; dictionarySize--) {
            r.charge(DecodeBudget.REFERENCE);
            dictionary.add(r.readString());
        }
        int traceCount = r.readArrayHeader();
        List<List<Span>> traces = new ArrayList<>(Math.min(traceCount, MAX_PRESIZE));
        int spanCount = 0;
        for (; traceCount > 0; traceCount--) {
            int n = r.readArrayHeader();
            r.charge(DecodeBudget.OBJECT);
            List<Span> spans = new ArrayList<>(Math.min(n, MAX_PRESIZE));
            for (; n > 0; n--) {
                spans.add(readV05Span(r, dictionary));
            }
            spanCount += spans.size();
            traces.add(spans);
        }
        return new DecodedTraces(traces, spanCount);
    }

    /** v0.7: a {@code TracerPayload} map; any field may be {@code nil}, unknown keys are skipped. */
    public DecodedTracerPayload decodeV07(byte[] body, int offset, int length) throws TraceDecodeException {
        MsgpackReader r = reader(body, offset, length);
        String containerId = "";
        String languageName = "";
        String languageVersion = "";
        String tracerVersion = "";
        String runtimeId = "";
        String env = "";
        String hostname = "";
        String appVersion = "";
        Map<String, String> tags = null;
        List<DecodedChunk> chunks = new ArrayList<>();
        int spanCount = 0;
        for (int n = r.readMapHeader(); n > 0; n--) {
            switch (r.readKey(PAYLOAD_KEYS)) {
                case 0 -> containerId = r.readString();
                case 1 -> languageName = r.readString();
                case 2 -> languageVersion = r.readString();
                case 3 -> tracerVersion = r.readString();
                case 4 -> runtimeId = r.readString();
                case 5 -> {
                    int count = r.readArrayHeaderOrNil();
                    chunks = new ArrayList<>(Math.min(count, MAX_PRESIZE));
                    spanCount = 0;
                    for (; count > 0; count--) {
                        if (!r.tryReadNil()) {
                            DecodedChunk chunk = readChunk(r);
                            spanCount += chunk.spans().size();
                            chunks.add(chunk);
                        }
                    }
                }
                case 6 -> tags = SpanMapReader.readStringMap(r);
                case 7 -> env = r.readString();
                case 8 -> hostname = r.readString();
                case 9 -> appVersion = r.readString();
                default -> r.skipValue();
            }
        }
        TracerInfo tracer = new TracerInfo(containerId, languageName, languageVersion, tracerVersion, runtimeId, tags,
                env, hostname, appVersion);
        return new DecodedTracerPayload(tracer, chunks, spanCount);
    }

    private MsgpackReader reader(byte[] body, int offset, int length) {
        return new MsgpackReader(body, offset, length, interner, boxes, new DecodeBudget(maxDecodedBytes));
    }

    /** A trace's spans; a {@code nil} span is left out. */
    private static List<Span> readSpanArray(MsgpackReader r, int n) throws TraceDecodeException {
        r.charge(DecodeBudget.OBJECT);
        List<Span> spans = new ArrayList<>(Math.min(n, MAX_PRESIZE));
        for (; n > 0; n--) {
            if (!r.tryReadNil()) {
                spans.add(SpanMapReader.readSpan(r));
            }
        }
        return spans;
    }

    private static DecodedChunk readChunk(MsgpackReader r) throws TraceDecodeException {
        int priority = 0;
        String origin = "";
        List<Span> spans = List.of();
        Map<String, String> tags = null;
        boolean dropped = false;
        for (int n = r.readMapHeader(); n > 0; n--) {
            switch (r.readKey(CHUNK_KEYS)) {
                case 0 -> priority = r.readInt32();
                case 1 -> origin = r.readString();
                case 2 -> spans = readSpanArray(r, r.readArrayHeaderOrNil());
                case 3 -> tags = SpanMapReader.readStringMap(r);
                case 4 -> dropped = r.readBoolean();
                default -> r.skipValue();
            }
        }
        r.charge(DecodeBudget.OBJECT);
        return new DecodedChunk(priority, origin, spans, tags, dropped);
    }

    private static Span readV05Span(MsgpackReader r, List<String> dictionary) throws TraceDecodeException {
        int at = r.position();
        int elements = r.readArrayHeader();
        if (elements != V05_SPAN_ELEMENTS) {
            throw new TraceDecodeException(Reason.DECODING_ERROR, "the v0.5 span at byte " + at + " has " + elements
                    + " elements, not " + V05_SPAN_ELEMENTS);
        }
        String service = dictionaryString(r, dictionary);
        String name = dictionaryString(r, dictionary);
        String resource = dictionaryString(r, dictionary);
        long traceId = r.readUint64();
        long spanId = r.readUint64();
        long parentId = r.readUint64();
        long start = r.readInt64();
        long duration = r.readInt64();
        int error = r.readInt32();
        int metaSize = r.readMapHeader();
        Map<String, String> meta = metaSize == 0 ? null : HashMap.newHashMap(Math.min(metaSize, 64));
        for (; metaSize > 0; metaSize--) {
            String key = dictionaryString(r, dictionary);
            meta.put(key, dictionaryString(r, dictionary));
            r.charge(DecodeBudget.MAP_ENTRY);
        }
        int metricsSize = r.readMapHeader();
        Map<String, Double> metrics = metricsSize == 0 ? null
                : HashMap.newHashMap(Math.min(metricsSize, 64));
        for (; metricsSize > 0; metricsSize--) {
            String key = dictionaryString(r, dictionary);
            metrics.put(key, r.readFloat64());
            r.charge(DecodeBudget.MAP_ENTRY);
        }
        String type = dictionaryString(r, dictionary);
        r.charge(DecodeBudget.SPAN);
        return Span.of(service, name, resource, traceId, spanId, parentId, start, duration, error, meta, metrics,
                type);
    }

    /** A dictionary index (any integer encoding, not {@code nil}) and the string it points to. */
    private static String dictionaryString(MsgpackReader r, List<String> dictionary) throws TraceDecodeException {
        int at = r.position();
        if (r.nextType() != MsgpackReader.Type.INTEGER) {
            throw new TraceDecodeException(Reason.DECODING_ERROR, "expected a dictionary index at byte " + at);
        }
        long index = r.readUint64();
        if (index < 0 || index >= dictionary.size()) {
            throw new TraceDecodeException(Reason.DECODING_ERROR, "dictionary index " + Long.toUnsignedString(index)
                    + " at byte " + at + " out of range (" + dictionary.size() + " strings)");
        }
        return dictionary.get((int) index);
    }
}
