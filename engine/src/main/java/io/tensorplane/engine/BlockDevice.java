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
     * What the device can do (write cache, discard, read-only, ...) and its preferred geometry: what
     * front doors advertise. Constant for the device's lifetime.
     */
    Capabilities capabilities();

    /**
     * Whether a channel opened on a host that lends its io_uring offers {@link IoChannel#registeredBufferIo()}: a front
     * door asks before it sets up zero copy, since that is decided before any channel is opened. False by default,
     * and decorators keep the default: their channels need the bytes, or do not pass the facility on.
     */
    default boolean offersRegisteredBufferIo() {
        return false;
    }

    /** Opens a channel for the calling thread, which offers the backend nothing of its own. */
    default IoChannel openChannel() {
        return openChannel(ChannelHost.NONE);
    }

    /**
     * Opens a channel for the calling thread; the channel must be used and closed by that thread.
     *
     * @param host what the thread offers the backend (for instance its io_uring); backends use what
     *             they can and ignore the rest, and decorators pass it on
     */
    IoChannel openChannel(ChannelHost host);

    /**
     * Grows the device to {@code newBytes} while it is served (a live resize); channels see the new size from their
     * next I/O on. Only growing: a smaller size is refused, since what lives on the device would be cut off.
     *
     * @throws IllegalArgumentException with one line saying why the device cannot take that size
     * @throws UnsupportedOperationException when the device cannot be resized at all (the default)
     */
    default void grow(long newBytes) {
        throw new UnsupportedOperationException("'" + spec() + "' cannot be resized (the file backend can)");
    }

    /** Releases the device's resources. Channels must be closed first. */
    @Override
    void close();
}
