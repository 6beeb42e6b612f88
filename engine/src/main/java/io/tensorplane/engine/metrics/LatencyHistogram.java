package io.tensorplane.engine.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A log-linear latency histogram of nanoseconds in a plain {@code long[]}: values below 32 have a
 * bucket each, above that every power of two is split into 32 buckets, so a bucket is at most
 * about 3 % wide (like an HdrHistogram with 1.5 significant digits) and values up to 2^42 ns
 * (73 minutes) fit in {@value #BUCKETS} buckets; larger values land in the last one.
 *
 * <p>One writer (the channel's I/O thread) records with plain reads and opaque writes: no atomics,
 * no allocation. Readers on other threads sum the buckets with opaque reads; a concurrent read may
 * miss the latest few records, never sees torn values.
 */
public final class LatencyHistogram {
    static final int SUB_BITS = 5;
    static final int SUB = 1 << SUB_BITS;
    static final int MAX_EXPONENT = 42;
    /** Number of buckets. */
    public static final int BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] counts = new long[BUCKETS];

    /** Bucket of a value in nanoseconds. */
    static int index(long nanos) {
        if (nanos < SUB) {
            return nanos <= 0 ? 0 : (int) nanos;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(nanos);
        int shift = exponent - SUB_BITS;
        int mantissa = (int) (nanos >>> shift); // in [SUB, 2 * SUB)
        int i = (shift + 1) * SUB + mantissa - SUB;
        return Math.min(i, BUCKETS - 1);
    }

    /** The largest value that falls in a bucket. */
    static long highestValue(int index) {
        if (index < SUB) {
            return index;
        }
        int shift = index / SUB - 1;
        long mantissa = SUB + index % SUB;
        return ((mantissa + 1) << shift) - 1;
    }

    /** Records one value. Owner thread only. */
    public void record(long nanos) {
        int i = index(nanos);
        SLOT.setOpaque(counts, i, counts[i] + 1);
    }

    /** Adds this histogram's counts into {@code into} (length {@link #BUCKETS}). Any thread. */
    public void addTo(long[] into) {
        for (int i = 0; i < BUCKETS; i++) {
            into[i] += (long) SLOT.getOpaque(counts, i);
        }
    }

    /** Total count in merged bucket counts. */
    public static long total(long[] counts) {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }

    /**
     * The value at a percentile (0..100] of merged bucket counts: the highest value of the bucket
     * that holds that rank (so a reported p99 is never below the true one by more than a bucket).
     * 0 if there are no values.
     */
    public static long valueAtPercentile(long[] counts, double percentile) {
        long total = total(counts);
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return highestValue(i);
            }
        }
        return highestValue(counts.length - 1);
    }

    /** Mean of merged bucket counts, using each bucket's midpoint. */
    public static double mean(long[] counts) {
        long total = 0;
        double sum = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] != 0) {
                long lo = i == 0 ? 0 : highestValue(i - 1) + 1;
                sum += counts[i] * (lo + highestValue(i)) / 2.0;
                total += counts[i];
            }
        }
        return total == 0 ? 0 : sum / total;
    }
}
