package io.tensorplane.engine.emulation;

/**
 * A tiny seeded pseudo-random generator (SplitMix64): deterministic for a seed, no allocation,
 * confined to one channel's thread.
 */
final class SplitMix64 {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private long state;

    SplitMix64(long seed, long stream) {
        this.state = mix(seed ^ mix(stream * GOLDEN + 1));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform in [0, 1). */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound) for a positive bound. */
    long nextLong(long bound) {
        return Long.remainderUnsigned(nextLong(), bound);
    }
}
