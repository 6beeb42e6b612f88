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
     * Pushes queued submissions to the backend (an asynchronous backend batches them: one system call
     * per poll, not one per I/O) and delivers the completions that are ready.
     *
     * @return the number of completions delivered, so a poller can decide to idle when it is 0
     */
    int poll();

    /** I/O submitted on this channel and not yet completed. */
    int inFlight();

    /** {@link #completionFd()}: the owner must keep calling {@link #poll()} while I/O is in flight. */
    int POLL_WHILE_IN_FLIGHT = -1;

    /**
     * {@link #completionFd()}: completions arrive through the facility the host lent the channel (its
     * io_uring, see {@link ChannelHost}), so the host's own wait for events covers them.
     */
    int COMPLETES_THROUGH_HOST = -2;

    /**
     * How the owner learns that {@link #poll()} has completions to deliver, so that an event loop can
     * sleep while I/O is in flight and wake when it ends, instead of spinning.
     *
     * @return a file descriptor that becomes readable when {@code poll()} has completions (the owner
     *         only watches it, with epoll or an io_uring poll; {@code poll()} consumes what made it
     *         readable); or {@link #COMPLETES_THROUGH_HOST}; or {@link #POLL_WHILE_IN_FLIGHT} (the
     *         default, and what emulated latency needs: its completions become due with time, not
     *         with an event)
     */
    default int completionFd() {
        return POLL_WHILE_IN_FLIGHT;
    }

    /**
     * I/O into buffers registered with the io_uring the channel's host lends it, named by index (zero copy for a
     * ublk request's pages), or null: the default, for every channel that needs the bytes in memory or whose I/O
     * does not run on the host's ring.
     */
    default RegisteredBufferIo registeredBufferIo() {
        return null;
    }

    @Override
    void close();
}
