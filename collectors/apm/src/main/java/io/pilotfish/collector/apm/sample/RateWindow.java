package io.pilotfish.collector.apm.sample;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The Agent's core sampler: traffic per signature counted in six 5-second buckets, and on each change of bucket a
 * rate per signature that spreads the target traces-per-second over the signatures seen, measured on the busiest
 * bucket of the last 30 seconds. Low-volume signatures keep rate 1 and leave their unused share to the others; a
 * rate may rise by at most 20% per bucket, so after a burst it takes about a minute to climb back tenfold. A
 * signature idle for the whole window at rate 1 is forgotten.
 *
 * <p>Not thread-safe: each sampler holds its window under its own lock.
 */
final class RateWindow {

    static final long BUCKET_NANOS = 5_000_000_000L;
    static final int BUCKETS = 6;
    static final double BUCKET_SECONDS = 5.0;
    static final double MAX_RATE_INCREASE = 1.2;

    /** Counts per bucket (float, as the Agent counts) and the rate of the last rotation for one signature. */
    static final class Signature {
        final float[] buckets = new float[BUCKETS];
        double rate;
        boolean rated;
    }

    private final HashMap<Long, Signature> seen = new HashMap<>();
    private final float[] allSeen = new float[BUCKETS];
    private final double extraRate;
    private final double targetTps;
    /** No bucket counted yet: the first count rotates, as the Agent's zero "last bucket" does. */
    private long lastBucket = Long.MIN_VALUE;
    /** The lowest rate of the last rotation; 0 until one has run with traffic. */
    private double lowestRate;

    RateWindow(double targetTps, double extraRate) {
        this.targetTps = targetTps;
        this.extraRate = extraRate;
    }

    /**
     * Counts {@code weight} traces of {@code signature} at {@code nowNanos}. Returns whether the bucket changed, in
     * which case the rates were recomputed (from the traffic before this count) first.
     */
    boolean count(long nowNanos, long signature, float weight) {
        long bucket = Math.floorDiv(nowNanos, BUCKET_NANOS);
        long previous = lastBucket;
        lastBucket = bucket;
        boolean rotated = previous != bucket;
        if (rotated) {
            updateRates(previous, bucket);
        }
        int slot = Math.floorMod(bucket, BUCKETS);
        allSeen[slot] += weight;
        seen.computeIfAbsent(signature, k -> new Signature()).buckets[slot] += weight;
        return rotated;
    }

    /** The rate for one signature: its own (times the extra rate) once rated, else the default rate. */
    double signatureRate(long signature) {
        Signature s = seen.get(signature);
        return s != null && s.rated ? s.rate * extraRate : defaultRate();
    }

    /** Every rated signature's rate, times the extra rate. */
    Map<Long, Double> rates() {
        Map<Long, Double> rates = new HashMap<>();
        for (Map.Entry<Long, Signature> e : seen.entrySet()) {
            if (e.getValue().rated) {
                rates.put(e.getKey(), e.getValue().rate * extraRate);
            }
        }
        return rates;
    }

    boolean isRated(long signature) {
        Signature s = seen.get(signature);
        return s != null && s.rated;
    }

    /**
     * The rate for signatures not rated yet: the target over the busiest bucket of all traffic, but never above the
     * lowest rate given to a signature, so a new signature cannot overshoot. Not multiplied by the extra rate, as in
     * the Agent.
     */
    double defaultRate() {
        if (targetTps == 0) {
            return 0;
        }
        float maxSeen = 0;
        for (float c : allSeen) {
            maxSeen = Math.max(maxSeen, c);
        }
        double seenTps = maxSeen / BUCKET_SECONDS;
        double rate = 1.0;
        if (targetTps < seenTps && seenTps > 0) {
            rate = targetTps / seenTps;
        }
        if (lowestRate < rate && lowestRate != 0) {
            return lowestRate;
        }
        return rate;
    }

    int size() {
        return seen.size();
    }

    void forget(long signature) {
        seen.remove(signature);
    }

    void retainOnly(Set<Long> signatures) {
        seen.keySet().retainAll(signatures);
    }

    private void updateRates(long previousBucket, long newBucket) {
        if (seen.isEmpty()) {
            return;
        }
        double[] seenTps = new double[seen.size()];
        int i = 0;
        for (Signature s : seen.values()) {
            seenTps[i++] = zeroExpiredAndMax(s.buckets, previousBucket, newBucket) / BUCKET_SECONDS;
        }
        zeroExpiredAndMax(allSeen, previousBucket, newBucket);
        double tpsPerSignature = tpsPerSignature(targetTps, seenTps);

        lowestRate = 1;
        i = 0;
        for (Iterator<Signature> it = seen.values().iterator(); it.hasNext(); ) {
            Signature s = it.next();
            double tps = seenTps[i++];
            double rate = 1.0;
            if (tpsPerSignature < tps && tps > 0) {
                rate = tpsPerSignature / tps;
            }
            if (s.rated && s.rate != 0 && rate / s.rate > MAX_RATE_INCREASE) {
                rate = s.rate * MAX_RATE_INCREASE;
            }
            rate = Math.min(rate, 1.0);
            if (rate == 1.0 && tps == 0) {
                it.remove();
                continue;
            }
            lowestRate = Math.min(lowestRate, rate);
            s.rate = rate;
            s.rated = true;
        }
    }

    /**
     * Spreads the target evenly over the signatures; what a signature below its share leaves unused goes to the
     * busier ones.
     */
    static double tpsPerSignature(double targetTps, double[] seenTps) {
        double[] sorted = seenTps.clone();
        Arrays.sort(sorted);
        double share = targetTps / sorted.length;
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] >= share || i == sorted.length - 1) {
                break;
            }
            targetTps -= sorted[i];
            share = targetTps / (sorted.length - i - 1);
        }
        return share;
    }

    /**
     * Zeroes the buckets that fell out of the window between two rotations and returns the largest count among the
     * rest, the bucket about to be reused included (it is read before it is cleared).
     */
    static float zeroExpiredAndMax(float[] buckets, long previousBucket, long newBucket) {
        float max = 0;
        for (long i = previousBucket + 1; i <= previousBucket + BUCKETS; i++) {
            int slot = Math.floorMod(i, BUCKETS);
            if (i < newBucket) {
                buckets[slot] = 0;
                continue;
            }
            max = Math.max(max, buckets[slot]);
            if (i == newBucket) {
                buckets[slot] = 0;
            }
        }
        return max;
    }
}
