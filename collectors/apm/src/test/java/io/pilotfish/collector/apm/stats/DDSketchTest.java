package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The agent's latency sketch against sketches-go itself: the golden file holds what the Agent's library encodes for the
 * same values (sketch-golden.txt), so equal bytes mean the intake reads our sketches as the Agent's.
 */
class DDSketchTest {

    private static final List<String> GOLDEN = Golden.lines("sketch-golden.txt");

    static Stream<Arguments> valueSets() {
        List<Double> wide = new ArrayList<>();
        for (int e = -20; e <= 20; e++) {
            wide.add(Double.parseDouble("1e" + e));
        }
        List<Double> ramp = new ArrayList<>();
        for (long i = 1; i <= 1000; i++) {
            ramp.add(Concentrator.truncatedDuration(i * i * 1000));
        }
        List<Double> collapse = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            collapse.add(1e-9 * (i + 1));
            collapse.add(1e30 * (i + 1));
        }
        return Stream.of(
                Arguments.of("empty", List.of()),
                Arguments.of("one", List.of(1.0)),
                Arguments.of("zero", List.of(0.0)),
                Arguments.of("ns100ms", List.of(Concentrator.truncatedDuration(100_000_000))),
                Arguments.of("mixed", mixed()),
                Arguments.of("neg", List.of(-3.0, 7.0, -0.5)),
                Arguments.of("wide", wide),
                Arguments.of("ramp", ramp),
                Arguments.of("collapse", collapse));
    }

    private static List<Double> mixed() {
        return List.of(Concentrator.truncatedDuration(1_000), Concentrator.truncatedDuration(5_000_000),
                Concentrator.truncatedDuration(5_000_000), Concentrator.truncatedDuration(250_000_000), 0.0);
    }

    private static DDSketch sketchOf(List<Double> values) {
        DDSketch sketch = DDSketch.forAgent();
        values.forEach(sketch::add);
        return sketch;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void encodesAsSketchesGo(String name, List<Double> values) {
        String expected = Golden.find(GOLDEN, "encode", name)[0];
        assertEquals(expected, Golden.describe(sketchOf(values).encode()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void quantilesAreSketchesGos(String name, List<Double> values) {
        if (!List.of("ramp", "mixed", "neg", "collapse").contains(name)) {
            return;
        }
        DDSketch sketch = sketchOf(values);
        for (double q : new double[] {0, 0.1, 0.5, 0.9, 0.99, 1}) {
            String bits = Golden.find(GOLDEN, "quantile", name, q == 0 ? "0" : q == 1 ? "1" : Double.toString(q))[0];
            double expected = Double.longBitsToDouble(Long.parseUnsignedLong(bits, 16));
            // The same bin; the value may differ in its last bit, as Go's exp and Java's may.
            assertEquals(expected, sketch.quantile(q), Math.abs(expected) * 1e-15, name + " q" + q);
        }
    }

    @Test
    void emptySketchHasTheAgentsFifteenBytes() {
        // mapping{gamma = 1.01/0.99}, empty positive and negative stores, no zero count.
        assertEquals("0a0909fd4a815abf52f03f12001a00", Golden.describe(DDSketch.emptyEncoding()));
        assertTrue(Double.isNaN(DDSketch.forAgent().quantile(0.5)));
    }

    @Test
    void quantilesStayWithinOnePercentOfTheExactOnes() {
        SplittableRandom random = new SplittableRandom(7);
        double[] values = new double[20_000];
        DDSketch sketch = DDSketch.forAgent();
        for (int i = 0; i < values.length; i++) {
            // Latencies from 1 µs to 100 s, log-uniform, as a busy service's.
            values[i] = Math.exp(random.nextDouble(Math.log(1e3), Math.log(1e11)));
            sketch.add(values[i]);
        }
        Arrays.sort(values);
        for (double q : new double[] {0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1}) {
            double exact = values[(int) (q * (values.length - 1))];
            double estimate = sketch.quantile(q);
            assertTrue(Math.abs(estimate - exact) <= 0.01 * exact + 1e-9,
                    "q" + q + ": " + estimate + " vs " + exact);
        }
        assertEquals(values.length, sketch.count());
    }

    @Test
    void truncatesDurationsToTenBitsOfMantissaAsTheAgent() {
        for (String[] line : GOLDEN.stream().filter(l -> l.startsWith("trunc|")).map(l -> l.split("\\|")).toList()) {
            long nanos = Long.parseLong(line[1]);
            assertEquals(Long.parseUnsignedLong(line[2], 16),
                    Double.doubleToRawLongBits(Concentrator.truncatedDuration(nanos)), "trunc " + nanos);
        }
    }

    @Test
    void mergesDecodedSketchesAsTheAggregatorDoes() throws SketchFormatException {
        List<Double> ramp = new ArrayList<>();
        for (long i = 1; i <= 1000; i++) {
            ramp.add(Concentrator.truncatedDuration(i * i * 1000));
        }
        DDSketch merged = DDSketch.decodeToAgent(sketchOf(mixed()).encode());
        merged.mergeWith(DDSketch.decodeToAgent(sketchOf(ramp).encode()));
        assertEquals(Golden.find(GOLDEN, "merge", "mixed+ramp")[0], Golden.describe(merged.encode()));
        assertEquals(1005, merged.count());
    }

    @Test
    void decodesWhatItEncodes() throws SketchFormatException {
        DDSketch sketch = sketchOf(List.of(-3.0, 0.0, 1e-3, 42.0, 42.0, 7e9));
        byte[] encoded = sketch.encode();
        assertArrayEquals(encoded, DDSketch.decodeToAgent(encoded).encode());
    }

    @Test
    void convertsAJavaTracersSketchToTheAgentsMapping() throws SketchFormatException {
        // dd-trace-java: gamma 1.015625, index offset 1338.5, collapsing stores of 1024 bins.
        DDSketch java = new DDSketch(new IndexMapping.Logarithmic(1.015625, 1338.5), 1024, HeapBudget.unlimited());
        for (double v : new double[] {1000, 2000, 2000, 5e6, 7.5e8, 0, -42}) {
            java.add(v);
        }
        String[] golden = Golden.find(GOLDEN, "foreign", "java-log");
        assertEquals(golden[0], Golden.describe(java.encode()));
        DDSketch converted = DDSketch.decodeToAgent(java.encode());
        assertSameBins(Golden.find(GOLDEN, "foreignbins", "java-log"), converted);
        assertEquals(7, converted.count(), 1e-9);
    }

    @Test
    void convertsInterpolatedMappings() throws SketchFormatException {
        double[] values = {1000, 2000, 2000, 5e6, 7.5e8};
        IndexMapping linear = new IndexMapping.Linear(Double.longBitsToDouble(0x3ff0392e111b0b18L),
                Double.longBitsToDouble(0x4048ffc9629d2345L));
        IndexMapping cubic = new IndexMapping.Cubic(Double.longBitsToDouble(0x3ff051ede9e7f1c3L), 0);
        for (var c : List.of(new Object[] {"linear", linear}, new Object[] {"cubic", cubic})) {
            DDSketch tracer = new DDSketch((IndexMapping) c[1], 1 << 20, HeapBudget.unlimited());
            for (double v : values) {
                tracer.add(v);
            }
            String[] golden = Golden.find(GOLDEN, "foreign", (String) c[0]);
            assertEquals(golden[0], Golden.describe(tracer.encode()), c[0] + " input");
            DDSketch converted = DDSketch.decodeToAgent(tracer.encode());
            assertSameBins(Golden.find(GOLDEN, "foreignbins", (String) c[0]), converted);
            assertEquals(5, converted.count(), 1e-9);
            assertEquals(2000, converted.quantile(0.5), 2000 * 0.03);
        }
    }

    /**
     * The converted sketch has the bins sketches-go gives, each count within 1e-12: a count is a proportion of bin
     * bounds computed with exp, whose last bit Go's and Java's may round differently.
     */
    private static void assertSameBins(String[] golden, DDSketch converted) {
        assertEquals(Double.longBitsToDouble(Long.parseUnsignedLong(golden[0])), converted.zeroCount()); // decimal bits
        List<DenseBins> stores = List.of(converted.positiveBins(), converted.negativeBins());
        for (int sign = 0; sign < 2; sign++) {
            DenseBins store = stores.get(sign);
            List<Integer> expectedIndexes = new ArrayList<>();
            for (String bin : golden[1 + sign].split(",")) {
                if (bin.isEmpty()) {
                    continue;
                }
                int index = Integer.parseInt(bin.substring(0, bin.indexOf(':')));
                double count = Double.longBitsToDouble(Long.parseUnsignedLong(bin.substring(bin.indexOf(':') + 1), 16));
                expectedIndexes.add(index);
                assertEquals(count, store.count(index), count * 1e-12, "bin " + index);
            }
            List<Integer> actualIndexes = new ArrayList<>();
            store.forEach((index, count) -> actualIndexes.add(index));
            assertEquals(expectedIndexes, actualIndexes);
        }
    }

    @Test
    void readsTheSparseStoreEncoding() throws SketchFormatException {
        String[] golden = Golden.find(GOLDEN, "sparse");
        DDSketch sketch = DDSketch.decodeToAgent(Golden.hex(golden[0]));
        assertEquals(golden[1], Golden.describe(sketch.encode()));
        assertEquals(2 + 1 + 4 + 3, sketch.count());
    }

    @Test
    void collapsesTheLowestBinsPastTheBinLimit() {
        DDSketch sketch = DDSketch.forAgent();
        sketch.add(1e-9);
        sketch.add(1e30); // thousands of bins above: the low value folds into the lowest bin kept
        assertEquals(2, sketch.count());
        assertEquals(1e30, sketch.quantile(1), 1e30 * 0.01);
        // The lowest value now reads as the bottom of the 2048-bin window, far above 1e-9.
        assertTrue(sketch.quantile(0) > 1e-3);
    }

    @Test
    void refusesValuesBeyondTheMappingAndNegativeCounts() {
        DDSketch sketch = DDSketch.forAgent();
        assertFalse(sketch.add(Double.POSITIVE_INFINITY, 1));
        assertFalse(sketch.add(1.0, -1));
        assertFalse(sketch.add(1.0, Double.NaN));
        assertTrue(sketch.isEmpty());
        assertTrue(sketch.add(Double.NaN, 1)); // as in sketches-go, NaN lands in the zero count
        assertEquals(0, sketch.quantile(0.5));
    }

    @Test
    void aRefusingBudgetMakesTheStoreCollapseInsteadOfGrowing() {
        HeapBudget budget = new HeapBudget(1024);
        DDSketch sketch = DDSketch.forAgent(budget);
        for (int i = 0; i < 1000; i++) {
            sketch.add(1e3 * Math.pow(1.05, i)); // a range of ~2,500 bins
        }
        assertTrue(sketch.collapsedByBudget());
        assertTrue(budget.used() <= 1024, "used " + budget.used());
        assertEquals(1000, sketch.count());
        double top = 1e3 * Math.pow(1.05, 999);
        assertEquals(top, sketch.quantile(1), top * 0.01); // high quantiles keep their accuracy
    }

    @Test
    void mergingSketchesOfDifferentMappingsIsRefused() {
        DDSketch java = new DDSketch(new IndexMapping.Logarithmic(1.015625, 1338.5), 1024, HeapBudget.unlimited());
        assertThrows(IllegalArgumentException.class, () -> DDSketch.forAgent().mergeWith(java));
    }

    static Stream<Arguments> badSketches() {
        String mapping = "0a0909fd4a815abf52f03f";
        return Stream.of(
                Arguments.of("no mapping", "12001a00"),
                Arguments.of("truncated varint", mapping + "12"),
                Arguments.of("length beyond the end", mapping + "12ff01"),
                Arguments.of("truncated fixed64", "0a0509fd4a815a"),
                Arguments.of("group wire type", mapping + "1b"),
                Arguments.of("field number zero", "02"),
                Arguments.of("eleven-byte varint", mapping + "18ffffffffffffffffffff01"),
                Arguments.of("gamma of one", "0a0909000000000000f03f12001a00"),
                Arguments.of("gamma below one", "0a0909000000000000e03f"),
                Arguments.of("quadratic interpolation", "0a0b09fd4a815abf52f03f1802"),
                Arguments.of("unknown interpolation", "0a0b09fd4a815abf52f03f1809"),
                Arguments.of("degenerate gamma", "0a0909000000000000f07f"),
                Arguments.of("huge but finite gamma", "0a09090000000000000840"),
                Arguments.of("negative count", mapping + "120a1208000000000000f0bf"),
                Arguments.of("NaN count", mapping + "120a1208000000000000f87f"),
                Arguments.of("infinite zero count", mapping + "21000000000000f07f"),
                Arguments.of("packed counts not a multiple of 8", mapping + "12051203000000"),
                Arguments.of("index past int32", mapping + "1218" + "1210" + "000000000000f03f000000000000f03f"
                        + "18feffffff0f"),
                Arguments.of("bin beyond the indexable values", "0a0909000000000000f43f"
                        + "12101208000000000000f03f18feffffff0f"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSketches")
    void refusesBrokenOrHostileSketches(String name, String hex) {
        assertThrows(SketchFormatException.class, () -> DDSketch.decodeToAgent(Golden.hex(hex)), name);
    }

    @Test
    void skipsUnknownFieldsAndMergesRepeatedOnes() throws SketchFormatException {
        // An unknown varint field 9, a fixed32 field 10, then the positive store in two parts with one index.
        String hex = "0a0909fd4a815abf52f03f" + "4801" + "5500000000"
                + "120a1208000000000000f03f" + "120a1208000000000000f03f";
        DDSketch sketch = DDSketch.decodeToAgent(Golden.hex(hex));
        assertEquals(2, sketch.count());
        assertEquals(1, sketch.quantile(0.5), 0.01);
    }
}
