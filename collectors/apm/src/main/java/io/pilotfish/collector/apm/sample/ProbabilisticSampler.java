package io.pilotfish.collector.apm.sample;

import io.pilotfish.spi.trace.Span;

/**
 * The Agent's probabilistic sampler ({@code DD_APM_PROBABILISTIC_SAMPLER_*}, off by default): keeps a fixed
 * percentage of traces by a hash of the trace id, the same hash as the OpenTelemetry Collector's probabilistic
 * sampler (FNV-1a of the seed, little-endian, then 16 trace-id bytes, on 2^14 buckets), so an agent and a collector
 * with the same seed keep the same traces. By default only the low 64 bits count, as the Agent does unless the
 * {@code probabilistic_sampler_full_trace_id} feature is set.
 */
final class ProbabilisticSampler {

    private static final int BUCKET_MASK = 0x3fff;
    /** 2^14 / 100, in float as the Agent's float32 arithmetic has it. */
    private static final float PERCENT_TO_BUCKETS = 0x4000 / 100.0f;

    private final byte[] seed;
    private final long keptBuckets;
    private final double rate;
    private final boolean fullTraceId;

    ProbabilisticSampler(float percentage, int hashSeed, boolean fullTraceId) {
        this.seed = new byte[] {(byte) hashSeed, (byte) (hashSeed >>> 8), (byte) (hashSeed >>> 16),
                (byte) (hashSeed >>> 24)};
        this.keptBuckets = (long) (percentage * PERCENT_TO_BUCKETS);
        this.rate = (double) percentage / 100.0;
        this.fullTraceId = fullTraceId;
    }

    /** Whether to keep the trace; a kept root gets {@code _dd.prob_sr} = the percentage / 100. */
    boolean sample(ChunkDraft chunk) {
        byte[] traceId = fullTraceId ? fullTraceId(chunk.root()) : lowBitsFirst(chunk.root().traceId());
        if (traceId == null) {
            // the Agent logs and drops when the 128-bit id cannot be read
            return false;
        }
        int hash = Signatures.addBytes(Signatures.addBytes(Signatures.FNV_OFFSET, seed), traceId);
        boolean keep = (hash & BUCKET_MASK) < keptBuckets;
        if (keep) {
            chunk.setMetric(chunk.rootIndex, SamplingKeys.PROBABILISTIC_RATE, rate);
        }
        return keep;
    }

    /** The Agent's 64-bit mode: the low 64 bits big-endian in the first 8 of 16 bytes, the rest zero. */
    private static byte[] lowBitsFirst(long traceId) {
        byte[] bytes = new byte[16];
        putBigEndian(bytes, 0, traceId);
        return bytes;
    }

    /**
     * The whole id: {@code otel.trace_id} decoded from hex when present, else {@code _dd.p.tid} (high) and the span's
     * trace id (low), big-endian. Null when a tag is not valid hex.
     */
    static byte[] fullTraceId(Span root) {
        String otel = root.meta().get(SamplingKeys.OTEL_TRACE_ID);
        if (otel != null) {
            return decodeHex(otel);
        }
        byte[] bytes = new byte[16];
        putBigEndian(bytes, 8, root.traceId());
        String high = root.meta().get(SamplingKeys.TRACE_ID_HIGH);
        if (high != null) {
            if (high.isEmpty() || !isHex(high)) {
                return null;
            }
            try {
                putBigEndian(bytes, 0, Long.parseUnsignedLong(high, 16));
            } catch (NumberFormatException tooLarge) {
                return null;
            }
        }
        return bytes;
    }

    private static void putBigEndian(byte[] out, int offset, long value) {
        for (int i = 0; i < 8; i++) {
            out[offset + i] = (byte) (value >>> (56 - 8 * i));
        }
    }

    private static byte[] decodeHex(String hex) {
        if (hex.length() % 2 != 0 || !isHex(hex)) {
            return null;
        }
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        return out;
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0 || s.charAt(i) > 'f') {
                return false;
            }
        }
        return true;
    }
}
