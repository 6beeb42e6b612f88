package io.tensorplane.backend.file;

import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.uring.CqeHandler;
import io.tensorplane.uring.IoUring;
import io.tensorplane.uring.SharedRing;
import io.tensorplane.uring.UserData;

/**
 * A ring lent to a backend the way a ublk queue lends its own: the test's thread drives it. The channel it
 * hands out polls by driving the ring (one submit, one drain), as the queue's loop does.
 */
final class LentRing implements ChannelHost, SharedRing, AutoCloseable {
    final IoUring ring = IoUring.create(256, 1024, 0);
    private final CqeHandler[] routes = new CqeHandler[UserData.MAX_ROUTE + 1];
    private int next = 1;
    long fixedBase;
    long fixedEnd;
    int foreignCqes;

    @Override
    public <T> T facility(Class<T> type) {
        return type == SharedRing.class ? type.cast(this) : null;
    }

    @Override public IoUring ring() { return ring; }

    @Override
    public int addRoute(CqeHandler handler) {
        routes[next] = handler;
        return next++;
    }

    @Override
    public int fixedBuffer(long address, int length) {
        return address >= fixedBase && address + length <= fixedEnd ? 0 : -1;
    }

    /** Slots filled with {@link IoUring#updateBuffer}: user memory, known to io_uring by its own address. */
    final long[] slotAddresses = new long[16];

    @Override
    public long fixedBufferAddress(int index) {
        return slotAddresses[index];
    }

    /** What the owner's loop does: one submit of everything queued, then its reaping, dispatching by route. */
    int pump() {
        ring.submitAndReap();
        return ring.drainCompletions((ud, res, flags) -> {
            int r = UserData.route(ud);
            if (r == 0) {
                foreignCqes++;
            } else {
                routes[r].onCqe(ud, res, flags);
            }
        });
    }

    /** Wraps a channel opened on this ring so that its poll() drives the ring. */
    IoChannel driven(IoChannel ch) {
        return new IoChannel() {
            @Override public void read(long o, int l, long a, IoCompletion d, long t) { ch.read(o, l, a, d, t); }
            @Override public void write(long o, int l, long a, int f, IoCompletion d, long t) { ch.write(o, l, a, f, d, t); }
            @Override public void flush(IoCompletion d, long t) { ch.flush(d, t); }
            @Override public void discard(long o, long l, IoCompletion d, long t) { ch.discard(o, l, d, t); }
            @Override public void writeZeroes(long o, long l, IoCompletion d, long t) { ch.writeZeroes(o, l, d, t); }
            @Override public int poll() { return pump() + ch.poll(); }
            @Override public int inFlight() { return ch.inFlight(); }
            @Override public int completionFd() { return ch.completionFd(); }
            @Override public io.tensorplane.engine.RegisteredBufferIo registeredBufferIo() { return ch.registeredBufferIo(); }
            @Override public void close() { ch.close(); }
        };
    }

    @Override
    public void close() {
        ring.close();
    }
}
