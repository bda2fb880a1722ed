package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TraceIdSamplingTest {

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    /** The Agent's rule computed the slow, obvious way. */
    private static boolean reference(long traceId, double rate) {
        if (!(rate < 1)) {
            return true;
        }
        BigInteger scrambled = new BigInteger(Long.toUnsignedString(traceId))
                .multiply(BigInteger.valueOf(1111111111111111111L)).mod(TWO_64);
        BigInteger threshold = new BigDecimal(rate).multiply(new BigDecimal(TWO_64)).toBigInteger();
        return scrambled.compareTo(threshold) < 0;
    }

    @Test
    void matchesTheAgentsRuleForAnyIdAndRate() {
        Random random = new Random(11);
        for (int i = 0; i < 100_000; i++) {
            long traceId = random.nextLong();
            double rate = i % 10 == 0 ? 0.5 + random.nextDouble() / 2 : random.nextDouble();
            assertEquals(reference(traceId, rate), TraceIdSampling.keep(traceId, rate), traceId + " at " + rate);
        }
    }

    @Test
    void edgeRates() {
        assertTrue(TraceIdSampling.keep(42, 1));
        assertTrue(TraceIdSampling.keep(42, Double.NaN), "the Agent keeps when the rate is not below 1");
        assertFalse(TraceIdSampling.keep(42, 0));
        assertFalse(TraceIdSampling.keep(0, 0), "0 is not below 0");
        assertTrue(TraceIdSampling.keep(0, 1e-18), "id 0 scrambles to 0, under a threshold of 18");
        assertFalse(TraceIdSampling.keep(0, 1e-300), "a threshold that truncates to 0 keeps nothing");
    }

    @Test
    void keepsTheRateOfSequentialIds() {
        int kept = 0;
        for (long id = 1; id <= 100_000; id++) {
            kept += TraceIdSampling.keep(id, 0.1) ? 1 : 0;
        }
        assertEquals(10_000, kept, 10);
    }
}
