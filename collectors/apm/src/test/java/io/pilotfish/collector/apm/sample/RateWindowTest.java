package io.pilotfish.collector.apm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The core window, with the cases of the Agent's {@code coresampler_test.go}. */
class RateWindowTest {

    private static final long T0 = ManualClock.START_NANOS;
    private static final long BUCKET = RateWindow.BUCKET_NANOS;

    static Stream<Arguments> expiredBuckets() {
        return Stream.of(
                Arguments.of("max", new float[] {10, 11, 0, 13, 14, 0}, 0, 0, 14f,
                        new float[] {10, 11, 0, 13, 14, 0}),
                Arguments.of("3 zeroes", new float[] {10, 11, 17, 13, 14, 19}, 3, 7, 17f,
                        new float[] {0, 0, 17, 13, 0, 0}),
                Arguments.of("4 zeroes", new float[] {10, 11, 10, 13, 14, 19}, 3, 8, 13f,
                        new float[] {0, 0, 0, 13, 0, 0}),
                Arguments.of("4 zeroes, max in the bucket being reused", new float[] {10, 11, 129191, 13, 14, 19},
                        3, 8, 129191f, new float[] {0, 0, 0, 13, 0, 0}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expiredBuckets")
    void zeroesExpiredBucketsAndReturnsTheMax(String name, float[] buckets, long previous, long next, float max,
                                              float[] after) {
        assertEquals(max, RateWindow.zeroExpiredAndMax(buckets, previous, next));
        assertArrayEquals(after, buckets);
    }

    @Test
    void aGapLongerThanTheWindowZeroesEverythingWhereverItStarts() {
        for (int start = 0; start < RateWindow.BUCKETS * 2; start++) {
            float[] buckets = {10, 11, 12, 13, 14, 15};
            assertEquals(0f, RateWindow.zeroExpiredAndMax(buckets, start, start + RateWindow.BUCKETS + 1));
            assertArrayEquals(new float[6], buckets);
        }
    }

    static Stream<Arguments> shares() {
        return Stream.of(
                Arguments.of("zero target", 0.0, new double[] {0, 10, 100, 3, 0}, 0.0),
                Arguments.of("spread evenly on active signatures", 2.0, new double[] {0, 10, 100, 3, 0}, 2.0 / 3),
                Arguments.of("unused share spread", 10.0, new double[] {0, 10, 100, 3, 0}, 3.5),
                Arguments.of("unused share spread, left", 23.5, new double[] {10, 0, 100, 3, 0}, 10.5),
                Arguments.of("unused share spread, left 2", 53.5, new double[] {10, 0, 100, 3, 0}, 40.5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shares")
    void spreadsTheTargetOverSignatures(String name, double target, double[] seen, double expected) {
        assertEquals(expected, RateWindow.tpsPerSignature(target, seen), 1e-9);
    }

    @Test
    void defaultRateFollowsAllTrafficBeforeAnyRotation() {
        RateWindow window = new RateWindow(10, 1);
        window.count(T0, 0, 1000);
        // 1000 in one 5 s bucket is 200 per second, for a target of 10
        assertEquals(1.0 / 20, window.defaultRate());
        assertEquals(1.0 / 20, window.signatureRate(100));
    }

    @Test
    void ratesShareTheTargetAndTheDefaultIsTheLowest() {
        RateWindow window = new RateWindow(10, 1);
        float[] tps = {37, 3, 21, 2921, 5};
        for (int i = 0; i < tps.length; i++) {
            window.count(T0, i, tps[i] * 5);
        }
        window.count(T0 + BUCKET + 1, 0, 0);
        // the quietest signature (3/s) is above the even share of 2, so every signature gets 2/s
        double[] expected = {2.0 / 37, 2.0 / 3, 2.0 / 21, 2.0 / 2921, 2.0 / 5};
        Map<Long, Double> rates = window.rates();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], rates.get((long) i), 1e-12, "signature " + i);
        }
        assertEquals(2.0 / 2921, window.defaultRate(), 1e-12);
    }

    @Test
    void extraRateScalesSignatureRatesButNotTheDefault() {
        RateWindow window = new RateWindow(10, 0.5);
        window.count(T0, 7, 500);
        window.count(T0 + BUCKET, 7, 0);
        assertEquals(0.1 * 0.5, window.signatureRate(7), 1e-12);
        assertEquals(0.1, window.defaultRate(), 1e-12);
    }

    @Test
    void ratesClimbAtMostTwentyPercentPerBucket() {
        RateWindow window = new RateWindow(7, 1);
        long signature = 25;
        window.count(T0, signature, 21 * 5);
        window.count(T0 + BUCKET + 1, signature, 0);
        long t = T0 + RateWindow.BUCKETS * BUCKET + 1;
        double expected = 7.0 / 21;
        for (int i = 0; i <= 10 && expected <= 1; i++) {
            window.count(t + i * BUCKET, 0, 1);
            assertEquals(expected, window.rates().get(signature), 1e-12, "bucket " + i);
            assertEquals(expected, window.defaultRate(), 1e-12, "bucket " + i);
            expected *= RateWindow.MAX_RATE_INCREASE;
        }
    }

    @Test
    void anIdleSignatureIsForgottenOnceItsRateIsBackToOne() {
        RateWindow window = new RateWindow(7, 1);
        long signature = 25;
        window.count(T0, signature, 21 * 5);
        window.count(T0 + BUCKET + 1, signature, 0);
        long t = T0 + RateWindow.BUCKETS * BUCKET + 1;
        for (int i = 0; i <= 20; i++) {
            window.count(t + i * BUCKET, 0, 1);
            if (i < 5) {
                assertTrue(window.isRated(signature), "still rated after " + i + " buckets");
            }
        }
        assertFalse(window.isRated(signature));
        assertEquals(1, window.size(), "only the active signature remains");
        assertEquals(1.0, window.defaultRate());
    }

    @Test
    void theBusiestBucketOfTheLast30SecondsSetsTheRate() {
        RateWindow window = new RateWindow(1, 1);
        float[] counts = {37, 22, 19, 55, 0, 0, 0, 0, 0, 0, 0};
        // the signature's rate, computed when each bucket starts: the max so far is 37 (7.4/s), then 55 (11/s)
        // until it leaves the window, after which the rate climbs back by 20% per bucket
        double[] expected = {Double.NaN, 1 / 7.4, 1 / 7.4, 1 / 7.4, 1 / 11.0, 1 / 11.0, 1 / 11.0, 1 / 11.0, 1 / 11.0,
                1 / 11.0, 1.2 / 11.0};
        // the default rate also sees the current bucket, so the burst of 55 lowers it at once
        double[] expectedDefault = expected.clone();
        expectedDefault[3] = 1 / 11.0;
        for (int i = 0; i < counts.length; i++) {
            window.count(T0 + i * BUCKET, 0, counts[i]);
            if (i > 0) {
                assertEquals(expected[i], window.signatureRate(0), 1e-12, "bucket " + i);
                assertEquals(expectedDefault[i], window.defaultRate(), 1e-12, "bucket " + i);
            }
        }
    }
}
