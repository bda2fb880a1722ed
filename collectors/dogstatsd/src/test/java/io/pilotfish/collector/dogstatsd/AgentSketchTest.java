package io.pilotfish.collector.dogstatsd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Agent's sketch: its keys, its bin limits, and quantiles within its accuracy. */
class AgentSketchTest {

    @Test
    void constantsAreTheAgents() {
        assertEquals(1.015625, AgentSketch.GAMMA);
        assertEquals(1338, AgentSketch.BIAS);
    }

    @Test
    void keysOfKnownValues() {
        assertEquals(1338, AgentSketch.key(1));
        assertEquals(1487, AgentSketch.key(10));
        assertEquals(1635, AgentSketch.key(100));
        assertEquals(1293, AgentSketch.key(0.5));
        assertEquals(-1487, AgentSketch.key(-10));
        assertEquals(0, AgentSketch.key(0));
        assertEquals(0, AgentSketch.key(1e-10));
        assertEquals(AgentSketch.INF_KEY, AgentSketch.key(1e300));
        assertEquals(1, AgentSketch.key(1e-9), "the smallest value kept has key 1");
    }

    @Test
    void everyKeysLowerBoundMapsBackToIt() {
        for (int key = 1; key < AgentSketch.MAX_KEY; key += 97) {
            assertEquals(key, AgentSketch.key(AgentSketch.lowerBound(key)), "key " + key);
        }
    }

    @Test
    void summaryIsExactAndWeightsCount() {
        AgentSketch sketch = new AgentSketch();
        sketch.add(2, 1);
        sketch.add(10, 4); // a sample at rate 0.25
        sketch.add(-3, 1);
        assertEquals(6, sketch.count());
        assertEquals(-3, sketch.min());
        assertEquals(10, sketch.max());
        assertEquals(39, sketch.sum());
        assertEquals(6.5, sketch.average());
        AgentSketch.Bins bins = sketch.bins();
        assertArrayEquals(new int[] {AgentSketch.key(-3), AgentSketch.key(2), AgentSketch.key(10)}, bins.keys());
        assertArrayEquals(new int[] {1, 1, 4}, bins.counts());
    }

    @Test
    void quantilesAreWithinTheSketchesAccuracy() {
        AgentSketch sketch = new AgentSketch();
        double[] values = new Random(42).doubles(100_000, 1, 5_000).toArray();
        for (double value : values) {
            sketch.add(value, 1);
        }
        Arrays.sort(values);
        for (double q : new double[] {0.01, 0.25, 0.5, 0.75, 0.95, 0.99}) {
            double exact = values[(int) Math.rint(q * (values.length - 1))];
            double estimate = sketch.quantile(q);
            assertTrue(Math.abs(estimate - exact) / exact <= 2 * AgentSketch.RELATIVE_ACCURACY,
                    "q" + q + ": " + estimate + " vs " + exact);
        }
        assertEquals(values[0], sketch.quantile(0));
        assertEquals(values[values.length - 1], sketch.quantile(1));
    }

    @Test
    void aBusyBinIsSentAsSeveralBinsOfTheSameKey() {
        AgentSketch sketch = new AgentSketch();
        sketch.add(1.0, 70_000);
        AgentSketch.Bins bins = sketch.bins();
        assertArrayEquals(new int[] {1338, 1338}, bins.keys());
        assertArrayEquals(new int[] {65_535, 4_465}, bins.counts());
    }

    @Test
    void moreThan4096KeysMergeTheLowestUpwards() {
        AgentSketch sketch = new AgentSketch();
        for (int i = 0; i < 5_000; i++) {
            sketch.add(Math.pow(AgentSketch.GAMMA, i), 1);
        }
        AgentSketch.Bins bins = sketch.bins();
        assertEquals(4_096, bins.keys().length);
        assertEquals(5_000, Arrays.stream(bins.counts()).sum(), "nothing is lost");
        assertEquals(905, bins.counts()[0], "904 merged bins plus the first kept");
        assertEquals(1338 + 4_999, bins.keys()[bins.keys().length - 1], "the high end keeps full resolution");
        assertEquals(Math.pow(AgentSketch.GAMMA, 4_999), sketch.max());
    }

    @Test
    void quantilesNeverLeaveTheRangeOfTheValuesSeen() {
        AgentSketch sketch = new AgentSketch();
        for (double value : new double[] {20, 57, 110, 197}) {
            sketch.add(value, 1);
        }
        for (double q = 0; q <= 1.0001; q += 0.01) {
            double estimate = sketch.quantile(q);
            assertTrue(estimate >= 20 && estimate <= 197, "q=" + q + " gave " + estimate);
        }
    }
}
