package io.tensorplane.nvmf.transport;

import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Wakes an event loop when an engine channel's completion descriptor ({@code IoChannel.completionFd()},
 * e.g. a file backend's io_uring) becomes readable, so the loop sleeps while backend I/O is in flight
 * instead of spinning on it: on epoll the descriptor joins the loop's epoll set (level-triggered: the
 * channel's poll empties what made it readable), on io_uring the loop's ring keeps a multishot poll on it.
 * NIO loops cannot watch a raw descriptor; there the caller keeps polling.
 */
abstract class CompletionWatch {
    private static final Logger LOG = Logger.getLogger(CompletionWatch.class.getName());
    private static final int IORING_OP_POLL_ADD = 6;
    private static final int IORING_POLL_ADD_MULTI = 1;
    private static final int POLLIN = 1;
    private static final int IORING_CQE_F_MORE = 1 << 1;

    final int fd;
    final Runnable onReady;
    volatile IoRegistration registration;

    CompletionWatch(int fd, Runnable onReady) {
        this.fd = fd;
        this.onReady = onReady;
    }

    /**
     * Starts watching {@code fd} on {@code loop} (which must be the calling thread's), calling {@code onReady}
     * on the loop whenever it is readable.
     *
     * @return the watch, or null if this kind of loop cannot watch a descriptor
     */
    static CompletionWatch start(EventLoop loop, int fd, Runnable onReady) {
        return start(loop, fd, onReady, false);
    }

    /**
     * Like {@link #start(EventLoop, int, Runnable)}; with {@code oneShot} an io_uring watch fires once per
     * {@link #rearm()}, so that no poll of the loop's ring holds the descriptor once the owner stops re-arming (an
     * io_uring request keeps its file open: a socket closed elsewhere would stay connected).
     */
    static CompletionWatch start(EventLoop loop, int fd, Runnable onReady, boolean oneShot) {
        if (!(loop instanceof IoEventLoop)) {
            return null;
        }
        IoEventLoop io = (IoEventLoop) loop;
        CompletionWatch w;
        if (io.isCompatible(OnEpoll.class)) {
            w = new OnEpoll(fd, onReady);
        } else if (io.isCompatible(OnIoUring.class)) {
            w = new OnIoUring(fd, onReady, oneShot);
        } else {
            return null;
        }
        io.register((io.netty.channel.IoHandle) w).addListener(f -> {
            if (f.isSuccess()) {
                IoRegistration r = (IoRegistration) f.getNow();
                w.registration = r;
                w.arm(r);
            } else {
                LOG.log(Level.WARNING, "cannot watch engine completions on " + loop + "; polling instead", f.cause());
            }
        });
        return w;
    }

    /** Whether the loop has accepted the watch (until then, and if it refused, the caller keeps polling). */
    boolean active() {
        IoRegistration r = registration;
        return r != null && r.isValid();
    }

    abstract void arm(IoRegistration r) throws Exception;

    /** A one-shot watch: wait for the next readiness (a level-triggered epoll watch needs nothing). */
    void rearm() {
    }

    /** Stops watching; must happen before the descriptor is closed. */
    void cancel() {
        IoRegistration r = registration;
        if (r != null) {
            r.cancel();
        }
    }

    /** The descriptor in the loop's epoll set, level-triggered for EPOLLIN. */
    static final class OnEpoll extends CompletionWatch implements EpollIoHandle {
        private final FileDescriptor descriptor;

        OnEpoll(int fd, Runnable onReady) {
            super(fd, onReady);
            this.descriptor = new FileDescriptor(fd);
        }

        @Override
        public FileDescriptor fd() {
            return descriptor;
        }

        @Override
        void arm(IoRegistration r) throws Exception {
            r.submit(EpollIoOps.EPOLLIN);
        }

        @Override
        public void handle(IoRegistration r, IoEvent event) {
            onReady.run();
        }

        @Override
        public void close() {
            // the engine channel owns the descriptor
        }
    }

    /** A multishot IORING_OP_POLL_ADD on the loop's own ring, armed again should the kernel end it. */
    static final class OnIoUring extends CompletionWatch implements IoUringIoHandle {
        private final boolean oneShot;
        /** The poll request, built once: an IoUringIoOps is a value copied into the SQE, so re-arming allocates nothing. */
        private final IoUringIoOps poll;

        OnIoUring(int fd, Runnable onReady, boolean oneShot) {
            super(fd, onReady);
            this.oneShot = oneShot;
            this.poll = new IoUringIoOps((byte) IORING_OP_POLL_ADD, (byte) 0, (short) 0, fd, 0L, 0L,
                    oneShot ? 0 : IORING_POLL_ADD_MULTI, POLLIN, 0L, (short) 0, (short) 0, 0, 0L);
        }

        @Override
        void arm(IoRegistration r) {
            r.submit(poll);
        }

        @Override
        void rearm() {
            IoRegistration r = registration;
            if (oneShot && r != null && r.isValid()) {
                arm(r);
            }
        }

        @Override
        public void handle(IoRegistration r, IoEvent event) {
            IoUringIoEvent e = (IoUringIoEvent) event;
            if (e.res() < 0) {
                return; // cancelled (the channel is closing) or refused
            }
            onReady.run();
            if (!oneShot && (e.flags() & IORING_CQE_F_MORE) == 0 && r.isValid()) {
                arm(r);
            }
        }

        @Override
        public void close() {
            // the engine channel owns the descriptor
        }
    }
}
