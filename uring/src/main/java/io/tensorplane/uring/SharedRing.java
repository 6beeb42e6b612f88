package io.tensorplane.uring;

/**
 * An io_uring that an I/O thread lends to the backends of the channels it opens, offered through
 * {@link io.tensorplane.engine.ChannelHost#facility(Class)}. The thread keeps driving the ring (one
 * {@code io_uring_enter} per loop submits its own commands and the backends' I/O together, and one wait
 * covers both); a backend fills SQEs on it and gets its CQEs back through a route of its own.
 *
 * <p>Everything happens on the lending thread: the backend's channel is confined to it like any other.
 */
public interface SharedRing {

    /** The ring. A backend takes SQEs from it with {@link IoUring#nextSqe()} and never submits or reaps itself,
     * except {@link IoUring#submit()} when {@code nextSqe()} finds the submission queue full. */
    IoUring ring();

    /**
     * Routes to {@code handler} every CQE whose user data carries the returned route
     * ({@link UserData#pack(int, long)}); the handler runs on the lending thread, inside its reaping.
     *
     * @return the route, 1..{@link UserData#MAX_ROUTE}
     * @throws IllegalStateException if the ring has no route left
     */
    int addRoute(CqeHandler handler);

    /**
     * The index of the fixed (registered) buffer that holds {@code [address, address + length)}, for
     * {@code READ_FIXED}/{@code WRITE_FIXED}, or -1 if that memory is not registered with this ring.
     */
    int fixedBuffer(long address, int length);

    /**
     * The address io_uring knows fixed buffer {@code index} by, which {@code READ_FIXED}/{@code WRITE_FIXED} add a
     * byte's offset to: 0 for memory the kernel registered (a ublk request's pages, see
     * {@link io.tensorplane.engine.RegisteredBufferIo}), the memory's own address for user memory.
     */
    long fixedBufferAddress(int index);
}
