package io.pilotfish.collector.apm.stats;

import java.util.Arrays;

/**
 * The counts of one sign of a DDSketch, by bin index: sketches-go's collapsing-lowest dense store. It keeps at most
 * {@code maxBins} consecutive indexes, the window ending at the highest index seen; counts below the window are added
 * to its lowest bin, so high quantiles keep their accuracy and only the lowest lose it. Exported as the window
 * {@code [minIndex, maxIndex]}, as the Go store exports it.
 *
 * <p>The array grows on demand and charges its growth to a {@link HeapBudget}; when the budget refuses, the store
 * treats the bins it has as its limit and collapses earlier instead of growing. Not thread-safe.
 */
final class DenseBins {

    /** Bins made on the first count, as sketches-go makes them (the range plus 63). */
    private static final int INITIAL_BINS = 64;
    private static final int SLACK = 64;

    private final HeapBudget budget;
    /** At most this many bins: the configured limit, or fewer once the budget refused to grow. */
    private int binLimit;
    private double[] bins;
    /** The index of {@code bins[0]}; a long so that windows near the int range never overflow. */
    private long offset;
    private int minIndex;
    private int maxIndex;
    private double total;
    private boolean collapsedByBudget;

    DenseBins(int maxBins, HeapBudget budget) {
        if (maxBins < 1) {
            throw new IllegalArgumentException("maxBins must be positive, got " + maxBins);
        }
        this.binLimit = maxBins;
        this.budget = budget;
    }

    boolean isEmpty() {
        return total == 0;
    }

    double total() {
        return total;
    }

    int minIndex() {
        return minIndex;
    }

    int maxIndex() {
        return maxIndex;
    }

    /** The bytes its array takes. */
    long heapBytes() {
        return bins == null ? 0 : 8L * bins.length;
    }

    /** Whether it collapsed bins because the budget refused to let it grow. */
    boolean collapsedByBudget() {
        return collapsedByBudget;
    }

    /** Adds {@code count} (positive) to bin {@code index}, or to the window's lowest bin if below it. */
    void add(int index, double count) {
        if (count == 0) {
            return;
        }
        if (bins == null) {
            int capacity = Math.min(binLimit, INITIAL_BINS);
            budget.charge(8L * capacity); // admitted with its group
            bins = new double[capacity];
            offset = (long) index - capacity / 2;
            minIndex = index;
            maxIndex = index;
        } else if (index < minIndex || index > maxIndex) {
            index = extendTo(index);
        }
        bins[(int) (index - offset)] += count;
        total += count;
    }

    /** The count of bin {@code index}. */
    double count(int index) {
        if (bins == null || index < minIndex || index > maxIndex) {
            return 0;
        }
        return bins[(int) (index - offset)];
    }

    /**
     * The first index at which the running count passes {@code rank} (sketches-go's {@code KeyAtRank}); for an empty
     * store, as there, its unset highest index (the int minimum), whose value is next to zero.
     */
    int keyAtRank(double rank) {
        if (bins == null) {
            return Integer.MIN_VALUE;
        }
        double n = 0;
        for (long i = minIndex; i <= maxIndex; i++) { // long: maxIndex may be Integer.MAX_VALUE
            n += bins[(int) (i - offset)];
            if (n > rank) {
                return (int) i;
            }
        }
        return maxIndex;
    }

    /** Calls {@code visitor} for each bin with a positive count, lowest index first. */
    void forEach(BinVisitor visitor) {
        if (bins == null) {
            return;
        }
        for (long i = minIndex; i <= maxIndex; i++) { // long: maxIndex may be Integer.MAX_VALUE
            double c = bins[(int) (i - offset)];
            if (c > 0) {
                visitor.visit((int) i, c);
            }
        }
    }

    /** Writes the window's counts, lowest index first, to {@code out} from {@code at}. */
    void copyWindow(double[] out, int at) {
        System.arraycopy(bins, (int) (minIndex - offset), out, at, maxIndex - minIndex + 1);
    }

    interface BinVisitor {
        void visit(int index, double count);
    }

    /**
     * Makes room for {@code index} outside the current range: widens the range, or, past the bin limit, slides the
     * window up to the highest index and folds what falls below it into its lowest bin. Returns the index to count.
     */
    private int extendTo(int index) {
        long lo = Math.min(minIndex, index);
        long hi = Math.max(maxIndex, index);
        if (hi - lo + 1 > binLimit) {
            lo = hi - binLimit + 1;
        }
        int capacity = bins.length;
        long needed = hi - lo + 1;
        if (needed > capacity) {
            int grown = (int) Math.min(binLimit, Math.max(needed + SLACK, (long) capacity * 3 / 2));
            if (budget.tryCharge(8L * (grown - capacity))) {
                capacity = grown;
            } else {
                binLimit = capacity;
                collapsedByBudget = true;
                lo = hi - capacity + 1;
            }
        }
        relayout(lo, hi, capacity);
        return (int) Math.max(index, lo);
    }

    /**
     * Makes {@code [lo, hi]} the range, in an array of {@code capacity} bins: counts below {@code lo} are folded into
     * it, the rest keep their index.
     */
    private void relayout(long lo, long hi, int capacity) {
        double folded = 0;
        long foldEnd = Math.min(maxIndex, lo - 1);
        for (long i = minIndex; i <= foldEnd; i++) {
            int at = (int) (i - offset);
            folded += bins[at];
            bins[at] = 0;
        }
        long keepFrom = Math.max(minIndex, lo);
        boolean fits = capacity == bins.length && lo >= offset && hi < offset + bins.length;
        if (!fits) {
            long newOffset = lo - (capacity - (hi - lo + 1)) / 2;
            double[] target = capacity == bins.length ? bins : new double[capacity];
            if (keepFrom <= maxIndex) {
                int length = (int) (maxIndex - keepFrom + 1);
                int from = (int) (keepFrom - offset);
                int to = (int) (keepFrom - newOffset);
                System.arraycopy(bins, from, target, to, length);
                if (target == bins) {
                    // Clear what the move vacated: the old cells the new ones do not cover.
                    if (to > from) {
                        Arrays.fill(bins, from, Math.min(from + length, to), 0);
                    } else {
                        Arrays.fill(bins, Math.max(to + length, from), from + length, 0);
                    }
                }
            }
            bins = target;
            offset = newOffset;
        }
        minIndex = (int) lo;
        maxIndex = (int) hi;
        if (folded != 0) {
            bins[(int) (lo - offset)] += folded;
        }
    }
}
