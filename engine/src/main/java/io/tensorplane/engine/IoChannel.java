package io.tensorplane.engine;

/**
 * A per-thread submission channel on a {@link BlockDevice}. Confined to the thread that opened it.
 *
 * <p>Every submit method completes through {@code done} exactly once, either inline or from a later
 * {@link #poll()}. Errors are negative errno values, never exceptions: an I/O past the end of the
 * device or not aligned to the block size completes with {@code -EINVAL} and touches nothing.
 *
 * <p>Data buffers are native memory addresses (off-heap, e.g. a direct buffer, a pooled Netty
 * buffer, or memory shared with the kernel) that stay valid until completion.
 */
public interface IoChannel extends AutoCloseable {

    /** Write flag: Force Unit Access, the data is durable when the write completes. */
    int FLAG_FUA = 1;

    void read(long offset, int length, long address, IoCompletion done, long tag);

    void write(long offset, int length, long address, int flags, IoCompletion done, long tag);

    void flush(IoCompletion done, long tag);

    void discard(long offset, long length, IoCompletion done, long tag);

    void writeZeroes(long offset, long length, IoCompletion done, long tag);

    /**
     * Completes I/O whose completion was deferred (emulated latency, asynchronous backends).
     *
     * @return the number of completions delivered, so a poller can decide to idle when it is 0
     */
    int poll();

    /** I/O submitted on this channel and not yet completed. */
    int inFlight();

    @Override
    void close();
}
