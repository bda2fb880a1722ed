package io.pilotfish.collector.apm.stats;

/**
 * How a DDSketch turns a positive value into a bin index and back: the three mappings of sketches-go that its
 * protobuf form can name ({@code IndexMapping.interpolation} NONE, LINEAR, CUBIC), with their arithmetic. The agent's
 * own sketches use the logarithmic one; the others only arrive in tracers' sketches and are converted.
 */
abstract sealed class IndexMapping {

    static final int INTERPOLATION_NONE = 0;
    static final int INTERPOLATION_LINEAR = 1;
    static final int INTERPOLATION_CUBIC = 3;

    /** The value at which {@code exp} overflows a double, sketches-go's bound for indexable values. */
    private static final double EXP_OVERFLOW = 7.094361393031e+02;
    private static final double LOG2_E = 1.4426950408889634;
    private static final double LN2 = 0.6931471805599453;
    private static final double EQUALITY_TOLERANCE = 1e-12;

    final double gamma;
    final double indexOffset;
    final double multiplier;

    IndexMapping(double gamma, double indexOffset, double multiplier) {
        this.gamma = gamma;
        this.indexOffset = indexOffset;
        this.multiplier = multiplier;
    }

    /** The agent's mapping: logarithmic, relative accuracy {@code relativeAccuracy}, offset 0. */
    static IndexMapping logarithmic(double relativeAccuracy) {
        return new Logarithmic((1 + relativeAccuracy) / (1 - relativeAccuracy), 0);
    }

    /**
     * The mapping a protobuf {@code IndexMapping} describes, or null for one sketches-go cannot build (gamma not above
     * 1, an interpolation it has no mapping for).
     */
    static IndexMapping of(double gamma, double indexOffset, int interpolation) {
        if (!(gamma > 1) || Double.isInfinite(gamma) || Double.isNaN(indexOffset)) {
            return null;
        }
        return switch (interpolation) {
            case INTERPOLATION_NONE -> new Logarithmic(gamma, indexOffset);
            case INTERPOLATION_LINEAR -> new Linear(gamma, indexOffset);
            case INTERPOLATION_CUBIC -> new Cubic(gamma, indexOffset);
            default -> null;
        };
    }

    abstract int interpolation();

    abstract double relativeAccuracy();

    abstract double minIndexableValue();

    abstract double maxIndexableValue();

    /** The logarithm this mapping works with (exact or approximated), in its base. */
    abstract double log(double value);

    /** The inverse of {@link #log}. */
    abstract double exp(double value);

    /** The bin of {@code value} (a positive indexable value), rounded down as sketches-go rounds it. */
    final int index(double value) {
        double index = log(value) * multiplier + indexOffset;
        // Go's int() truncates towards zero; sketches-go subtracts one below zero, even at whole numbers.
        return index >= 0 ? (int) index : (int) index - 1;
    }

    /** The smallest value of bin {@code index} (a long, so that the bin above the last int index has one too). */
    final double lowerBound(long index) {
        return exp((index - indexOffset) / multiplier);
    }

    /** The value reported for bin {@code index}: its lower bound times {@code 1 + relative accuracy}. */
    final double value(int index) {
        return lowerBound(index) * (1 + relativeAccuracy());
    }

    /** sketches-go's {@code Equals}: the same kind, gamma and offset equal within a relative 1e-12. */
    final boolean sameAs(IndexMapping other) {
        return getClass() == other.getClass() && withinTolerance(gamma, other.gamma)
                && withinTolerance(indexOffset, other.indexOffset);
    }

    /**
     * The agent's test before converting a tracer's sketch: a relative accuracy below 0.5 and a sane indexable range,
     * so that no bin spans more than a few dozen of the agent's.
     */
    final boolean isSane() {
        double min = minIndexableValue();
        double max = maxIndexableValue();
        if (Double.isNaN(min) || Double.isNaN(max) || min <= 0 || max <= min || Double.isInfinite(max)) {
            return false;
        }
        double accuracy = relativeAccuracy();
        return accuracy > 0 && accuracy < 0.5;
    }

    private static boolean withinTolerance(double x, double y) {
        if (x == 0 || y == 0) {
            return Math.abs(x) <= EQUALITY_TOLERANCE && Math.abs(y) <= EQUALITY_TOLERANCE;
        }
        return Math.abs(x - y) <= EQUALITY_TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
    }

    /** Go's {@code math.Log2}: exact for powers of two, else {@code log(frac) * log2(e) + exp} from frexp. */
    static double log2(double x) {
        int exponent = Math.getExponent(x) + 1;
        double fraction = Math.scalb(x, -exponent);
        if (fraction == 0.5) {
            return exponent - 1;
        }
        return Math.log(fraction) * LOG2_E + exponent;
    }

    /** The exponent of {@code bits}' double, unbiased, as a double. */
    private static double exponentOf(long bits) {
        return (double) ((int) ((bits & 0x7FF0000000000000L) >>> 52) - 1023);
    }

    /** The significand of {@code bits}' double with its leading one, in [1, 2). */
    private static double significandPlusOne(long bits) {
        return Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
    }

    private static double buildDouble(int exponent, double significandPlusOne) {
        long exponentBits = ((long) (exponent + 1023) << 52) & 0x7FF0000000000000L;
        return Double.longBitsToDouble(exponentBits | (Double.doubleToRawLongBits(significandPlusOne)
                & 0x000FFFFFFFFFFFFFL));
    }

    /** The memory-optimal mapping: {@code index = floor(log(v) / log(gamma) + offset)}. */
    static final class Logarithmic extends IndexMapping {

        Logarithmic(double gamma, double indexOffset) {
            super(gamma, indexOffset, 1 / Math.log(gamma));
        }

        @Override
        int interpolation() {
            return INTERPOLATION_NONE;
        }

        @Override
        double relativeAccuracy() {
            return 1 - 2 / (1 + gamma);
        }

        @Override
        double minIndexableValue() {
            return Math.max(Math.exp((Integer.MIN_VALUE - indexOffset) / multiplier + 1),
                    Double.MIN_NORMAL * gamma);
        }

        @Override
        double maxIndexableValue() {
            return Math.min(Math.exp((Integer.MAX_VALUE - indexOffset) / multiplier - 1),
                    Math.exp(EXP_OVERFLOW) / (2 * gamma) * (gamma + 1));
        }

        @Override
        double log(double value) {
            return Math.log(value);
        }

        @Override
        double exp(double value) {
            return Math.exp(value);
        }
    }

    /** log2 read from the double's exponent, linearly interpolated over its significand. */
    static final class Linear extends IndexMapping {

        Linear(double gamma, double indexOffset) {
            super(gamma, indexOffset, 1 / log2(gamma));
        }

        @Override
        int interpolation() {
            return INTERPOLATION_LINEAR;
        }

        @Override
        double relativeAccuracy() {
            return 1 - 2 / (1 + Math.exp(log2(gamma)));
        }

        private double adjustedGamma() {
            return Math.pow(gamma, 1 / LN2);
        }

        @Override
        double minIndexableValue() {
            return Math.max(Math.pow(2, (Integer.MIN_VALUE - indexOffset) / multiplier + 1),
                    Double.MIN_NORMAL * adjustedGamma());
        }

        @Override
        double maxIndexableValue() {
            double adjusted = adjustedGamma();
            return Math.min(Math.pow(2, (Integer.MAX_VALUE - indexOffset) / multiplier - 1),
                    Math.exp(EXP_OVERFLOW) / (2 * adjusted) * (adjusted + 1));
        }

        @Override
        double log(double value) {
            long bits = Double.doubleToRawLongBits(value);
            return exponentOf(bits) + significandPlusOne(bits) - 1;
        }

        @Override
        double exp(double value) {
            double exponent = Math.floor(value);
            return buildDouble((int) exponent, value - exponent + 1);
        }
    }

    /** log2 read from the double's exponent, cubically interpolated over its significand. */
    static final class Cubic extends IndexMapping {

        private static final double A = 6.0 / 35.0;
        private static final double B = -3.0 / 5.0;
        private static final double C = 10.0 / 7.0;

        Cubic(double gamma, double indexOffset) {
            super(gamma, indexOffset, 1 / log2(gamma));
        }

        @Override
        int interpolation() {
            return INTERPOLATION_CUBIC;
        }

        @Override
        double relativeAccuracy() {
            return 1 - 2 / (1 + Math.exp(7.0 / 10 * log2(gamma)));
        }

        private double adjustedGamma() {
            return Math.pow(gamma, 7 / (10 * LN2));
        }

        @Override
        double minIndexableValue() {
            return Math.max(Math.pow(2, (Integer.MIN_VALUE - indexOffset) / multiplier + 1),
                    Double.MIN_NORMAL * adjustedGamma());
        }

        @Override
        double maxIndexableValue() {
            double adjusted = adjustedGamma();
            return Math.min(Math.pow(2, (Integer.MAX_VALUE - indexOffset) / multiplier - 1),
                    Math.exp(EXP_OVERFLOW) / (2 * adjusted) * (adjusted + 1));
        }

        @Override
        double log(double value) {
            long bits = Double.doubleToRawLongBits(value);
            double s = significandPlusOne(bits) - 1;
            return ((A * s + B) * s + C) * s + exponentOf(bits);
        }

        @Override
        double exp(double value) {
            double exponent = Math.floor(value);
            // The real root of the cubic above (Cardano), as sketches-go computes it.
            double d0 = B * B - 3 * A * C;
            double d1 = 2 * B * B * B - 9 * A * B * C - 27 * A * A * (value - exponent);
            double p = Math.cbrt((d1 - Math.sqrt(d1 * d1 - 4 * d0 * d0 * d0)) / 2);
            double significandPlusOne = -(B + p + d0 / p) / (3 * A) + 1;
            return buildDouble((int) exponent, significandPlusOne);
        }
    }
}
