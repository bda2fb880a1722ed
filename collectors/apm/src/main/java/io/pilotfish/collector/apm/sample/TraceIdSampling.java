package io.pilotfish.collector.apm.sample;

/**
 * The Agent's rate decision: keep a trace when its id, scrambled by a Knuth multiplicative hash, falls under
 * {@code rate × 2^64}. Deterministic per trace id, so every agent and every chunk of one trace decide alike and the
 * samplers need no random source.
 */
final class TraceIdSampling {

    /** The Agent's multiplier: a large prime that fits an int64 for languages without unsigned numbers. */
    private static final long KNUTH_FACTOR = 1111111111111111111L;
    private static final double TWO_POW_64 = 18446744073709551616.0;
    private static final double TWO_POW_63 = 9223372036854775808.0;

    private TraceIdSampling() {
    }

    static boolean keep(long traceId, double rate) {
        // "not below 1" keeps, NaN included, as the Agent's "rate < 1" test does
        if (!(rate < 1)) {
            return true;
        }
        if (rate <= 0) {
            return false;
        }
        return Long.compareUnsigned(traceId * KNUTH_FACTOR, unsignedThreshold(rate * TWO_POW_64)) < 0;
    }

    /** Go's {@code uint64(x)} for {@code 0 <= x < 2^64}: truncation, with the top bit Java's long cannot hold. */
    private static long unsignedThreshold(double x) {
        return x < TWO_POW_63 ? (long) x : (long) (x - TWO_POW_63) ^ Long.MIN_VALUE;
    }
}
