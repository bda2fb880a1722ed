package io.pilotfish.bench;

/**
 * Counts the spans of a protobuf {@code AgentPayload} (datadog-agent {@code agent_payload.proto}) without decoding
 * them: {@code AgentPayload.tracerPayloads} (5) → {@code TracerPayload.chunks} (6) → {@code TraceChunk.spans} (3)
 * → {@code Span.traceID} (4). Only those four fields are read; every other is skipped by its wire type. Used by
 * {@link ApmIntake} on every payload the agent sends, and by {@link TracePipelineBenchmark} to check its setup.
 */
public final class AgentPayloadSpans {

    /** What one payload held. */
    public record Count(int tracerPayloads, int chunks, int spans) {
    }

    /** Told about each chunk: the trace id of its first span (0 when it has none) and its number of spans. */
    @FunctionalInterface
    public interface ChunkVisitor {
        void chunk(long traceId, int spans);
    }

    private AgentPayloadSpans() {
    }

    /**
     * @param chunkTraceId told about each chunk
     * @throws IllegalArgumentException when the bytes are not a well-formed protobuf message
     */
    public static Count count(byte[] payload, ChunkVisitor chunkTraceId) {
        int[] counts = new int[3];
        Reader agent = new Reader(payload, 0, payload.length);
        while (agent.more()) {
            int tag = agent.tag();
            if (tag >>> 3 == 5 && (tag & 7) == 2) {
                counts[0]++;
                Reader tracer = agent.sub();
                while (tracer.more()) {
                    int t = tracer.tag();
                    if (t >>> 3 == 6 && (t & 7) == 2) {
                        counts[1]++;
                        chunk(tracer.sub(), counts, chunkTraceId);
                    } else {
                        tracer.skip(t);
                    }
                }
            } else {
                agent.skip(tag);
            }
        }
        return new Count(counts[0], counts[1], counts[2]);
    }

    private static void chunk(Reader chunk, int[] counts, ChunkVisitor chunkTraceId) {
        long traceId = 0;
        int spans = 0;
        boolean first = true;
        while (chunk.more()) {
            int tag = chunk.tag();
            if (tag >>> 3 == 3 && (tag & 7) == 2) {
                counts[2]++;
                spans++;
                Reader span = chunk.sub();
                if (first) {
                    first = false;
                    while (span.more()) {
                        int t = span.tag();
                        if (t >>> 3 == 4 && (t & 7) == 0) {
                            traceId = span.varint();
                            break;
                        }
                        span.skip(t);
                    }
                }
            } else {
                chunk.skip(tag);
            }
        }
        chunkTraceId.chunk(traceId, spans);
    }

    /** A view of {@code [pos, end)} of the bytes. */
    private static final class Reader {
        private final byte[] b;
        private int pos;
        private final int end;

        Reader(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalArgumentException("truncated varint at " + pos);
                }
                byte x = b[pos++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("varint over 10 bytes at " + pos);
        }

        Reader sub() {
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw new IllegalArgumentException("length " + n + " at " + pos + " passes the end " + end);
            }
            Reader r = new Reader(b, pos, pos + (int) n);
            pos += (int) n;
            return r;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> sub();
                case 5 -> advance(4);
                default -> throw new IllegalArgumentException("wire type " + (tag & 7) + " at " + pos);
            }
        }

        private void advance(int n) {
            if (n > end - pos) {
                throw new IllegalArgumentException("truncated field at " + pos);
            }
            pos += n;
        }
    }
}
