package io.pilotfish.collector.apm.stats;

import java.util.Arrays;

/**
 * A DDSketch as the trace-agent builds its APM latency distributions (sketches-go
 * {@code LogCollapsingLowestDenseDDSketch(0.01, 2048)}): a logarithmic mapping of relative accuracy 1% (gamma
 * 1.0202...), collapsing-lowest dense stores of at most 2048 bins for positive and negative values, and a zero count.
 * {@link #encode} writes the {@code DDSketch} protobuf byte for byte as the agent's {@code proto.Marshal} does:
 * {@code mapping{gamma, indexOffset, interpolation}}, then each store as {@code contiguousBinCounts} with
 * {@code contiguousBinIndexOffset}, then {@code zeroCount}; zero scalars and empty lists omitted, empty stores
 * written as empty messages.
 *
 * <p>{@link #decodeToAgent} reads a tracer's sketch, in either store encoding and any of sketches-go's mappings,
 * into the agent's mapping as the agent does before merging. Not thread-safe.
 */
public final class DDSketch {

    /** The agent's relative accuracy for latency sketches. */
    public static final double RELATIVE_ACCURACY = 0.01;
    /** The agent's bin limit per store. */
    public static final int MAX_BINS = 2048;

    static final IndexMapping AGENT_MAPPING = IndexMapping.logarithmic(RELATIVE_ACCURACY);

    /** A sketch with no value, as the agent encodes it (the same bytes for every empty sketch). */
    private static final byte[] EMPTY_ENCODING = forAgent().encode();
    /** The bins one bin of a tracer's mapping may be split into: far more than a sane mapping needs (about 55). */
    private static final int MAX_SPLIT_BINS = 4096;

    private final IndexMapping mapping;
    private final DenseBins positive;
    private final DenseBins negative;
    private final double minIndexable;
    private final double maxIndexable;
    private double zeroCount;

    DDSketch(IndexMapping mapping, int maxBins, HeapBudget budget) {
        this.mapping = mapping;
        this.positive = new DenseBins(maxBins, budget);
        this.negative = new DenseBins(maxBins, budget);
        this.minIndexable = mapping.minIndexableValue();
        this.maxIndexable = mapping.maxIndexableValue();
    }

    /** An empty sketch as the agent makes them, with no heap limit. */
    public static DDSketch forAgent() {
        return new DDSketch(AGENT_MAPPING, MAX_BINS, HeapBudget.unlimited());
    }

    static DDSketch forAgent(HeapBudget budget) {
        return new DDSketch(AGENT_MAPPING, MAX_BINS, budget);
    }

    /** The protobuf bytes of an empty agent sketch. */
    public static byte[] emptyEncoding() {
        return EMPTY_ENCODING.clone();
    }

    /** Adds one occurrence of {@code value}. */
    public void add(double value) {
        add(value, 1);
    }

    /**
     * Adds {@code count} occurrences of {@code value}, as sketches-go does: values beyond the mapping's range and
     * negative counts are refused (false); values closer to zero than the smallest indexable one, and NaN, count as
     * zeros.
     */
    public boolean add(double value, double count) {
        if (value < -maxIndexable || value > maxIndexable || !(count >= 0)) {
            return false;
        }
        if (value > minIndexable) {
            positive.add(mapping.index(value), count);
        } else if (value < -minIndexable) {
            negative.add(mapping.index(-value), count);
        } else {
            zeroCount += count;
        }
        return true;
    }

    /** The number of values added. */
    public double count() {
        return zeroCount + positive.total() + negative.total();
    }

    public boolean isEmpty() {
        return count() == 0;
    }

    /**
     * The value at quantile {@code q} (0 to 1), within the relative accuracy of the true one; NaN for an empty sketch
     * or a quantile out of range.
     */
    public double quantile(double q) {
        double count = count();
        if (!(q >= 0 && q <= 1) || count == 0) {
            return Double.NaN;
        }
        double rank = q * (count - 1);
        double negatives = negative.total();
        if (rank < negatives) {
            return -mapping.value(negative.keyAtRank(negatives - 1 - rank));
        }
        if (rank < zeroCount + negatives) {
            return 0;
        }
        return mapping.value(positive.keyAtRank(rank - zeroCount - negatives));
    }

    /** Adds {@code other}'s values; the two must have the same mapping. */
    public void mergeWith(DDSketch other) {
        if (!mapping.sameAs(other.mapping)) {
            throw new IllegalArgumentException("cannot merge sketches with different index mappings");
        }
        other.positive.forEach(positive::add);
        other.negative.forEach(negative::add);
        zeroCount += other.zeroCount;
    }

    double zeroCount() {
        return zeroCount;
    }

    DenseBins positiveBins() {
        return positive;
    }

    DenseBins negativeBins() {
        return negative;
    }

    /** The bytes its stores take. */
    long heapBytes() {
        return positive.heapBytes() + negative.heapBytes();
    }

    boolean collapsedByBudget() {
        return positive.collapsedByBudget() || negative.collapsedByBudget();
    }

    // --- encoding ------------------------------------------------------------------------------------------------

    /** The {@code DDSketch} protobuf message, as the agent marshals it. */
    public byte[] encode() {
        int mappingSize = mappingSize();
        int positiveSize = storeSize(positive);
        int negativeSize = storeSize(negative);
        boolean withZero = Double.doubleToRawLongBits(zeroCount) != 0;
        int size = 1 + ProtoWriter.varintSize(mappingSize) + mappingSize
                + 1 + ProtoWriter.varintSize(positiveSize) + positiveSize
                + 1 + ProtoWriter.varintSize(negativeSize) + negativeSize
                + (withZero ? 9 : 0);
        ProtoWriter out = new ProtoWriter(size);
        out.tag(1, ProtoWriter.LENGTH_DELIMITED).varint(mappingSize);
        writeMapping(out);
        out.tag(2, ProtoWriter.LENGTH_DELIMITED).varint(positiveSize);
        writeStore(out, positive);
        out.tag(3, ProtoWriter.LENGTH_DELIMITED).varint(negativeSize);
        writeStore(out, negative);
        if (withZero) {
            out.tag(4, ProtoWriter.FIXED64).fixed64(Double.doubleToRawLongBits(zeroCount));
        }
        return out.bytes();
    }

    private int mappingSize() {
        int size = 0;
        if (Double.doubleToRawLongBits(mapping.gamma) != 0) {
            size += 9;
        }
        if (Double.doubleToRawLongBits(mapping.indexOffset) != 0) {
            size += 9;
        }
        if (mapping.interpolation() != 0) {
            size += 1 + ProtoWriter.varintSize(mapping.interpolation());
        }
        return size;
    }

    private void writeMapping(ProtoWriter out) {
        if (Double.doubleToRawLongBits(mapping.gamma) != 0) {
            out.tag(1, ProtoWriter.FIXED64).fixed64(Double.doubleToRawLongBits(mapping.gamma));
        }
        if (Double.doubleToRawLongBits(mapping.indexOffset) != 0) {
            out.tag(2, ProtoWriter.FIXED64).fixed64(Double.doubleToRawLongBits(mapping.indexOffset));
        }
        if (mapping.interpolation() != 0) {
            out.tag(3, ProtoWriter.VARINT).varint(mapping.interpolation());
        }
    }

    private static int storeSize(DenseBins store) {
        if (store.isEmpty()) {
            return 0;
        }
        int counts = 8 * (store.maxIndex() - store.minIndex() + 1);
        int size = 1 + ProtoWriter.varintSize(counts) + counts;
        if (store.minIndex() != 0) {
            size += 1 + ProtoWriter.varintSize(ProtoWriter.zigZag(store.minIndex()));
        }
        return size;
    }

    private static void writeStore(ProtoWriter out, DenseBins store) {
        if (store.isEmpty()) {
            return;
        }
        int n = store.maxIndex() - store.minIndex() + 1;
        double[] counts = new double[n];
        store.copyWindow(counts, 0);
        out.tag(2, ProtoWriter.LENGTH_DELIMITED).varint(8L * n);
        for (double c : counts) {
            out.fixed64(Double.doubleToRawLongBits(c));
        }
        if (store.minIndex() != 0) {
            out.tag(3, ProtoWriter.VARINT).varint(ProtoWriter.zigZag(store.minIndex()));
        }
    }

    // --- decoding ------------------------------------------------------------------------------------------------

    /**
     * Reads a tracer's sketch and returns it in the agent's mapping: as it is when its mapping is the agent's, else
     * with each bin's count spread over the agent's bins it overlaps, in proportion (sketches-go's
     * {@code ChangeMapping}), as the agent does before merging. Refuses what the agent refuses (no mapping, an
     * interpolation sketches-go lacks, a degenerate mapping) and what it would choke on (negative or non-finite
     * counts, bins whose values overflow).
     */
    public static DDSketch decodeToAgent(byte[] bytes) throws SketchFormatException {
        return decodeToAgent(bytes, HeapBudget.unlimited());
    }

    static DDSketch decodeToAgent(byte[] bytes, HeapBudget budget) throws SketchFormatException {
        Decoded decoded = Decoded.read(bytes);
        DDSketch sketch = forAgent(budget);
        sketch.zeroCount = decoded.zeroCount;
        if (decoded.mapping.sameAs(AGENT_MAPPING)) {
            decoded.positive.forEachSorted(sketch.positive::add);
            decoded.negative.forEachSorted(sketch.negative::add);
            return sketch;
        }
        if (!decoded.mapping.isSane()) {
            throw new SketchFormatException("refusing a sketch with a degenerate index mapping (gamma "
                    + decoded.mapping.gamma + ")");
        }
        convert(decoded.mapping, decoded.positive, sketch.positive);
        convert(decoded.mapping, decoded.negative, sketch.negative);
        return sketch;
    }

    /** Spreads each source bin's count over the agent's bins it overlaps, in proportion to the overlap. */
    private static void convert(IndexMapping from, BinList source, DenseBins target) throws SketchFormatException {
        IndexMapping to = AGENT_MAPPING;
        double min = to.minIndexableValue();
        double max = to.maxIndexableValue();
        SketchFormatException[] failure = new SketchFormatException[1];
        source.forEachSorted((index, count) -> {
            if (failure[0] != null) {
                return;
            }
            double inLower = from.lowerBound(index);
            double inHigher = from.lowerBound(index + 1L);
            if (!(inLower >= min) || !(inHigher <= max)) {
                failure[0] = new SketchFormatException("sketch bin " + index + " is beyond the indexable values");
                return;
            }
            double inSize = inHigher - inLower;
            int first = to.index(inLower);
            if (!(inSize > 0)) {
                // A bin narrower than a double's step has no width to share: it all goes where it starts.
                target.add(first, count);
                return;
            }
            int last = to.index(inHigher);
            if ((long) last - first > MAX_SPLIT_BINS) {
                failure[0] = new SketchFormatException("sketch bin " + index + " spans too many bins");
                return;
            }
            for (int out = first; to.lowerBound(out) < inHigher; out++) {
                double lower = Math.max(to.lowerBound(out), inLower);
                double higher = Math.min(to.lowerBound(out + 1L), inHigher);
                target.add(out, (higher - lower) / inSize * count);
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    /** A sketch as its protobuf bytes describe it, before any conversion. */
    private record Decoded(IndexMapping mapping, BinList positive, BinList negative, double zeroCount) {

        static Decoded read(byte[] bytes) throws SketchFormatException {
            ProtoReader in = new ProtoReader(bytes, 0, bytes.length);
            boolean mappingSeen = false;
            double gamma = 0;
            double indexOffset = 0;
            long interpolation = 0;
            BinList positive = new BinList();
            BinList negative = new BinList();
            double zeroCount = 0;
            while (in.hasMore()) {
                long tag = in.tag();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (field == 1 && wire == ProtoWriter.LENGTH_DELIMITED) {
                    // A message field seen twice is merged: later scalars win.
                    mappingSeen = true;
                    ProtoReader m = in.message();
                    while (m.hasMore()) {
                        long t = m.tag();
                        int f = (int) (t >>> 3);
                        int w = (int) (t & 7);
                        if (f == 1 && w == ProtoWriter.FIXED64) {
                            gamma = Double.longBitsToDouble(m.fixed64());
                        } else if (f == 2 && w == ProtoWriter.FIXED64) {
                            indexOffset = Double.longBitsToDouble(m.fixed64());
                        } else if (f == 3 && w == ProtoWriter.VARINT) {
                            interpolation = m.varint();
                        } else {
                            m.skip(w);
                        }
                    }
                } else if (field == 2 && wire == ProtoWriter.LENGTH_DELIMITED) {
                    readStore(in.message(), positive);
                } else if (field == 3 && wire == ProtoWriter.LENGTH_DELIMITED) {
                    readStore(in.message(), negative);
                } else if (field == 4 && wire == ProtoWriter.FIXED64) {
                    zeroCount = Double.longBitsToDouble(in.fixed64());
                } else {
                    in.skip(wire);
                }
            }
            if (!mappingSeen) {
                throw new SketchFormatException("sketch has no index mapping");
            }
            IndexMapping mapping = IndexMapping.of(gamma, indexOffset,
                    interpolation > Integer.MAX_VALUE || interpolation < 0 ? -1 : (int) interpolation);
            if (mapping == null) {
                throw new SketchFormatException("unsupported index mapping: gamma " + gamma + ", interpolation "
                        + interpolation);
            }
            if (!(zeroCount >= 0) || Double.isInfinite(zeroCount)) {
                throw new SketchFormatException("sketch zero count is not a count: " + zeroCount);
            }
            return new Decoded(mapping, positive, negative, zeroCount);
        }

        /** A {@code Store}: sparse {@code binCounts} entries and a contiguous run, in either order. */
        private static void readStore(ProtoReader in, BinList bins) throws SketchFormatException {
            BinList run = new BinList(); // indexed by position in the run until its offset is known
            long position = 0;
            int offset = 0;
            while (in.hasMore()) {
                long tag = in.tag();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (field == 1 && wire == ProtoWriter.LENGTH_DELIMITED) {
                    ProtoReader entry = in.message();
                    int key = 0;
                    double value = 0;
                    while (entry.hasMore()) {
                        long t = entry.tag();
                        int f = (int) (t >>> 3);
                        int w = (int) (t & 7);
                        if (f == 1 && w == ProtoWriter.VARINT) {
                            key = ProtoReader.zigZagDecode((int) entry.varint());
                        } else if (f == 2 && w == ProtoWriter.FIXED64) {
                            value = Double.longBitsToDouble(entry.fixed64());
                        } else {
                            entry.skip(w);
                        }
                    }
                    bins.add(key, checkedCount(value));
                } else if (field == 2 && wire == ProtoWriter.LENGTH_DELIMITED) {
                    ProtoReader packed = in.message();
                    if (packed.remaining() % 8 != 0) {
                        throw new SketchFormatException("packed bin counts of " + packed.remaining() + " bytes");
                    }
                    while (packed.hasMore()) {
                        run.add(position++, checkedCount(Double.longBitsToDouble(packed.fixed64())));
                    }
                } else if (field == 2 && wire == ProtoWriter.FIXED64) {
                    run.add(position++, checkedCount(Double.longBitsToDouble(in.fixed64())));
                } else if (field == 3 && wire == ProtoWriter.VARINT) {
                    offset = ProtoReader.zigZagDecode((int) in.varint());
                } else {
                    in.skip(wire);
                }
            }
            // The offset may come after the counts it places.
            for (int i = 0; i < run.size; i++) {
                long index = offset + run.indexes[i];
                if (index > Integer.MAX_VALUE) {
                    throw new SketchFormatException("sketch bin index " + index + " is out of range");
                }
                bins.add(index, run.counts[i]);
            }
        }

        private static double checkedCount(double count) throws SketchFormatException {
            if (!(count >= 0) || Double.isInfinite(count)) {
                throw new SketchFormatException("sketch bin count is not a count: " + count);
            }
            return count;
        }
    }

    /**
     * The non-zero bins read from one protobuf store, in the order read; its size is bounded by the input's non-zero
     * counts, eight bytes each at least.
     */
    static final class BinList {

        private long[] indexes = new long[8];
        private double[] counts = new double[8];
        private int size;

        void add(long index, double count) {
            if (count == 0) {
                return;
            }
            if (size == indexes.length) {
                indexes = Arrays.copyOf(indexes, size * 2);
                counts = Arrays.copyOf(counts, size * 2);
            }
            indexes[size] = index;
            counts[size] = count;
            size++;
        }

        /** Visits the bins by increasing index, counts of a repeated index summed. */
        void forEachSorted(DenseBins.BinVisitor visitor) {
            long[] order = new long[size];
            for (int i = 0; i < size; i++) {
                // The index, shifted to be non-negative, above the position (31 bits): sorts by index, then position.
                order[i] = ((indexes[i] + 0x80000000L) << 31) | i;
            }
            Arrays.sort(order);
            int i = 0;
            while (i < size) {
                long index = (order[i] >>> 31) - 0x80000000L;
                double sum = counts[(int) (order[i] & 0x7FFFFFFF)];
                int j = i + 1;
                while (j < size && (order[j] >>> 31) - 0x80000000L == index) {
                    sum += counts[(int) (order[j] & 0x7FFFFFFF)];
                    j++;
                }
                visitor.visit((int) index, sum);
                i = j;
            }
        }
    }
}
