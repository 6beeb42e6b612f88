package io.tensorplane.engine;

/**
 * What a {@link BlockDevice} can do and how it is best driven: what front doors advertise to the kernel
 * (ublk parameters) or to an NVMe host (Identify), instead of guessing. Immutable; made with
 * {@link #builder(int)}.
 *
 * <p>A backend answers for itself (SPDK's {@code io_type_supported}); decorators pass the answer on.
 */
public final class Capabilities {
    private final int logicalBlockSize;
    private final int physicalBlockSize;
    private final boolean readOnly;
    private final boolean volatileWriteCache;
    private final boolean discard;
    private final boolean discardZeroes;
    private final int discardGranularity;
    private final long maxDiscardBytes;
    private final long maxWriteZeroesBytes;
    private final int optimalIoBytes;

    private Capabilities(Builder b) {
        this.logicalBlockSize = b.logicalBlockSize;
        this.physicalBlockSize = Math.max(b.physicalBlockSize, b.logicalBlockSize);
        this.readOnly = b.readOnly;
        this.volatileWriteCache = b.volatileWriteCache;
        this.discard = b.discard;
        this.discardZeroes = b.discard && b.discardZeroes;
        this.discardGranularity = b.discard ? Math.max(b.discardGranularity, b.logicalBlockSize) : 0;
        this.maxDiscardBytes = b.discard ? b.maxDiscardBytes : 0;
        this.maxWriteZeroesBytes = b.maxWriteZeroesBytes;
        this.optimalIoBytes = b.optimalIoBytes;
    }

    /** A builder for a device of this logical block size, with the defaults of a RAM disk. */
    public static Builder builder(int logicalBlockSize) {
        return new Builder(logicalBlockSize);
    }

    /** Offsets and lengths are multiples of this (512 or 4096). */
    public int logicalBlockSize() { return logicalBlockSize; }

    /** The unit the device writes atomically and most efficiently; at least the logical block size. */
    public int physicalBlockSize() { return physicalBlockSize; }

    /** Writes, discards and write-zeroes fail with {@code -EROFS}. */
    public boolean readOnly() { return readOnly; }

    /** Whether the device has a volatile write cache, so that FLUSH and FUA mean something. */
    public boolean volatileWriteCache() { return volatileWriteCache; }

    /** Whether DISCARD deallocates; when false, a discard completes with {@code -EOPNOTSUPP}. */
    public boolean discard() { return discard; }

    /** Whether a discarded range reads back as zeros afterwards (false unless {@link #discard()}). */
    public boolean discardZeroes() { return discardZeroes; }

    /** The unit in which discard frees space, in bytes (0 unless {@link #discard()}). */
    public int discardGranularity() { return discardGranularity; }

    /** The largest single discard, in bytes (0 unless {@link #discard()}). */
    public long maxDiscardBytes() { return maxDiscardBytes; }

    /** The largest single write-zeroes, in bytes. Every device can write zeroes. */
    public long maxWriteZeroesBytes() { return maxWriteZeroesBytes; }

    /** The I/O size the device prefers (0: no preference). */
    public int optimalIoBytes() { return optimalIoBytes; }

    /** A builder that starts from these capabilities (for a decorator that changes one of them). */
    public Builder toBuilder() {
        Builder b = new Builder(logicalBlockSize);
        b.physicalBlockSize = physicalBlockSize;
        b.readOnly = readOnly;
        b.volatileWriteCache = volatileWriteCache;
        b.discard = discard;
        b.discardZeroes = discardZeroes;
        b.discardGranularity = discardGranularity;
        b.maxDiscardBytes = maxDiscardBytes;
        b.maxWriteZeroesBytes = maxWriteZeroesBytes;
        b.optimalIoBytes = optimalIoBytes;
        return b;
    }

    /** One line for logs and {@code Devices.describe}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(logicalBlockSize).append("-byte blocks");
        if (physicalBlockSize != logicalBlockSize) {
            s.append(" (").append(physicalBlockSize).append(" physical)");
        }
        if (readOnly) {
            s.append(", read-only");
        }
        s.append(volatileWriteCache ? ", volatile write cache (flush matters)" : ", no volatile write cache");
        s.append(discard ? (discardZeroes ? ", discard zeroes" : ", discard does not zero") : ", no discard");
        return s.toString();
    }

    /** Builds {@link Capabilities}; the defaults are those of a RAM disk (no cache, discard that zeroes). */
    public static final class Builder {
        private final int logicalBlockSize;
        private int physicalBlockSize;
        private boolean readOnly;
        private boolean volatileWriteCache;
        private boolean discard = true;
        private boolean discardZeroes = true;
        private int discardGranularity = 4096;
        private long maxDiscardBytes = 1L << 30;
        private long maxWriteZeroesBytes = 1L << 30;
        private int optimalIoBytes;

        private Builder(int logicalBlockSize) {
            if (logicalBlockSize != 512 && logicalBlockSize != 4096) {
                throw new IllegalArgumentException("logical block size must be 512 or 4096: " + logicalBlockSize);
            }
            this.logicalBlockSize = logicalBlockSize;
            this.physicalBlockSize = logicalBlockSize;
        }

        public Builder physicalBlockSize(int bytes) { this.physicalBlockSize = bytes; return this; }
        public Builder readOnly(boolean on) { this.readOnly = on; return this; }
        public Builder volatileWriteCache(boolean on) { this.volatileWriteCache = on; return this; }
        /** Whether discard deallocates, and whether discarded blocks then read as zeros. */
        public Builder discard(boolean supported, boolean zeroes) {
            this.discard = supported;
            this.discardZeroes = zeroes;
            return this;
        }
        public Builder discardGranularity(int bytes) { this.discardGranularity = bytes; return this; }
        public Builder maxDiscardBytes(long bytes) { this.maxDiscardBytes = bytes; return this; }
        public Builder maxWriteZeroesBytes(long bytes) { this.maxWriteZeroesBytes = bytes; return this; }
        public Builder optimalIoBytes(int bytes) { this.optimalIoBytes = bytes; return this; }

        public Capabilities build() {
            return new Capabilities(this);
        }
    }
}
