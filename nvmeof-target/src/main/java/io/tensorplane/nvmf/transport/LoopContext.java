package io.tensorplane.nvmf.transport;

import io.netty.channel.EventLoop;
import io.netty.channel.unix.IovArray;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.nvmf.core.Stats;
import io.tensorplane.nvmf.subsystem.Namespace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * What one event-loop thread owns: an engine {@link IoChannel} per namespace (opened on first use,
 * closed by the same thread at shutdown), the poll task that pushes engine submissions and delivers
 * deferred completions, the queues waiting for a flush, and the thread's plain counters.
 *
 * <p>A channel whose completions come with an event ({@link IoChannel#completionFd()}: a file backend's
 * io_uring) is watched by the loop itself ({@link CompletionWatch}): the loop sleeps while that I/O is in
 * flight and wakes when it completes. One whose completions come with time (emulated latency), or on a
 * loop that cannot watch a descriptor (NIO), is polled while it has I/O in flight.
 */
final class LoopContext {
    private static final Logger LOG = Logger.getLogger(LoopContext.class.getName());
    private static final AtomicBoolean POLLING_SAID = new AtomicBoolean();
    private static final int IOV_MAX = 1024;
    private final EventLoop loop;
    private IoChannel[] channels = new IoChannel[4];
    private CompletionWatch[] watches = new CompletionWatch[4];
    private final ArrayList<TcpQueue> dirty = new ArrayList<>();
    private final Runnable pollTask = this::pollAndFlush;
    private boolean pollScheduled;
    /** Inside {@link #pollAndFlush()}: completions mark queues dirty without scheduling another run. */
    private boolean running;
    /** An engine submission arrived during the run: its SQEs still need pushing. */
    private boolean again;
    /** The I/O vector of this loop's direct sends ({@link TcpQueue}), created on first use. */
    private IovArray iov;
    final Stats stats;

    LoopContext(EventLoop loop, Stats stats) {
        this.loop = loop;
        this.stats = stats;
    }

    /** The loop's I/O vector for a direct send, empty. */
    IovArray iov() {
        if (iov == null) {
            iov = new IovArray(IOV_MAX); // Linux's IOV_MAX entries
        }
        iov.clear();
        return iov;
    }

    IoChannel channel(Namespace ns) {
        int i = ns.globalIndex();
        if (i >= channels.length) {
            int n = Math.max(i + 1, channels.length * 2);
            channels = Arrays.copyOf(channels, n);
            watches = Arrays.copyOf(watches, n);
        }
        IoChannel ch = channels[i];
        if (ch == null) {
            ch = ns.device().openChannel();
            channels[i] = ch;
            int fd = ch.completionFd();
            if (fd >= 0) {
                watches[i] = CompletionWatch.start(loop, fd, pollTask);
                if (watches[i] == null && POLLING_SAID.compareAndSet(false, true)) {
                    LOG.info("this transport's event loops cannot wait for engine completions (" + loop.getClass().getSimpleName()
                            + "); they poll while backend I/O is in flight (epoll and io_uring need not)");
                }
            }
        }
        return ch;
    }

    /** Called after an engine submission: the poll task pushes it (one system call for the whole batch). */
    void afterSubmit(IoChannel ch) {
        if (ch.inFlight() > 0) {
            if (running) {
                again = true;
            } else {
                schedule();
            }
        }
    }

    /** A queue wrote outside of its read cycle and needs a flush (done at the end of the poll task). */
    void markDirty(TcpQueue q) {
        dirty.add(q);
        if (!running) {
            schedule();
        }
    }

    private void schedule() {
        if (!pollScheduled) {
            pollScheduled = true;
            loop.execute(pollTask);
        }
    }

    private void pollAndFlush() {
        pollScheduled = false;
        running = true;
        again = false;
        stats.enginePolls++;
        boolean pending = false;
        try {
            for (int i = 0; i < channels.length; i++) {
                IoChannel ch = channels[i];
                if (ch != null && ch.inFlight() > 0) {
                    ch.poll();
                    // A watched channel wakes the loop when it completes; the others are polled again.
                    CompletionWatch w = watches[i];
                    pending |= ch.inFlight() > 0 && (w == null || !w.active());
                }
            }
            // completions of this run marked their queues dirty without scheduling another run: flush them now
            for (int i = 0; i < dirty.size(); i++) {
                dirty.get(i).flushNow();
            }
            dirty.clear();
        } finally {
            running = false;
        }
        if (pending || again) {
            schedule();
        }
    }

    /** Closes this thread's engine channels; must run on the loop. */
    void closeChannels(List<Throwable> errors) {
        if (iov != null) {
            iov.release();
            iov = null;
        }
        for (int i = 0; i < channels.length; i++) {
            closeChannel(i, errors);
        }
    }

    /** Closes this thread's channel on the namespace of global index {@code i}, if open; must run on the loop. */
    void closeChannel(int i, List<Throwable> errors) {
        IoChannel ch = i < channels.length ? channels[i] : null;
        if (ch != null) {
            try {
                for (int spin = 0; spin < 1000 && ch.inFlight() > 0; spin++) {
                    ch.poll();
                }
                if (watches[i] != null) {
                    watches[i].cancel();
                    watches[i] = null;
                }
                ch.close();
            } catch (RuntimeException e) {
                errors.add(e);
            }
            channels[i] = null;
        }
    }
}
