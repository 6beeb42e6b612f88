package io.tensorplane.engine;

/**
 * A block device of the engine: the one contract every front door (ublk, NVMe/TCP) talks to
 * and every backend ({@code null}, {@code mem}, {@code file}, emulation decorators) implements.
 *
 * <p>The device itself is thread-safe and holds no per-thread state. I/O goes through an
 * {@link IoChannel}: each I/O thread opens its own channel and uses it only from that thread,
 * so the I/O path needs no locks (SPDK's "one I/O channel per thread").
 */
public interface BlockDevice extends AutoCloseable {

    /** The spec this device was opened from, e.g. {@code mem:8G}. */
    String spec();

    /** Capacity in bytes; a multiple of {@link #blockSize()}. */
    long sizeBytes();

    /** Logical block size in bytes: 512 or 4096. Offsets and lengths must be multiples of it. */
    int blockSize();

    /**
     * Whether the device has a volatile write cache, so that FLUSH (and FUA) mean something.
     * Front doors advertise a write cache to the kernel only when this is true.
     */
    boolean volatileWriteCache();

    /** Whether a discarded range reads back as zeros afterwards. */
    boolean discardZeroes();

    /** Opens a channel for the calling thread. The channel must be closed by that thread. */
    IoChannel openChannel();

    /** Releases the device's resources. Channels must be closed first. */
    @Override
    void close();
}
