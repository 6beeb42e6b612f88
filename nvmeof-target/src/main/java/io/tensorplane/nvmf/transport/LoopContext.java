package io.tensorplane.nvmf.transport;

import io.netty.channel.EventLoop;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.nvmf.subsystem.Namespace;

import java.util.ArrayList;
import java.util.List;

/**
 * What one event-loop thread owns: an engine {@link IoChannel} per namespace (opened on first use,
 * closed by the same thread at shutdown), the poll task that drives deferred engine completions
 * while I/O is pending, the queues waiting for a flush, and the thread's plain counters.
 */
public final class LoopContext {
    private final EventLoop loop;
    private IoChannel[] channels = new IoChannel[4];
    private final ArrayList<TcpQueue> dirty = new ArrayList<>();
    private final Runnable pollTask = this::pollAndFlush;
    private boolean pollScheduled;
    final Stats stats;

    LoopContext(EventLoop loop, Stats stats) {
        this.loop = loop;
        this.stats = stats;
    }

    public IoChannel channel(Namespace ns) {
        int i = ns.globalIndex();
        if (i >= channels.length) {
            IoChannel[] bigger = new IoChannel[Math.max(i + 1, channels.length * 2)];
            System.arraycopy(channels, 0, bigger, 0, channels.length);
            channels = bigger;
        }
        IoChannel ch = channels[i];
        if (ch == null) {
            ch = ns.device().openChannel();
            channels[i] = ch;
        }
        return ch;
    }

    /** Called after an engine submission: keeps polling while the channel has I/O in flight. */
    void afterSubmit(IoChannel ch) {
        if (!pollScheduled && ch.inFlight() > 0) {
            pollScheduled = true;
            loop.execute(pollTask);
        }
    }

    /** A queue wrote outside of its read cycle and needs a flush. */
    void markDirty(TcpQueue q) {
        dirty.add(q);
        if (!pollScheduled) {
            pollScheduled = true;
            loop.execute(pollTask);
        }
    }

    private void pollAndFlush() {
        pollScheduled = false;
        boolean pending = false;
        for (IoChannel ch : channels) {
            if (ch != null) {
                if (ch.inFlight() > 0) {
                    ch.poll();
                }
                pending |= ch.inFlight() > 0;
            }
        }
        for (int i = 0; i < dirty.size(); i++) {
            dirty.get(i).flushNow();
        }
        dirty.clear();
        if (pending && !pollScheduled) {
            pollScheduled = true;
            loop.execute(pollTask);
        }
    }

    /** Closes this thread's engine channels; must run on the loop. */
    void closeChannels(List<Throwable> errors) {
        for (int i = 0; i < channels.length; i++) {
            IoChannel ch = channels[i];
            if (ch != null) {
                try {
                    for (int spin = 0; spin < 1000 && ch.inFlight() > 0; spin++) {
                        ch.poll();
                    }
                    ch.close();
                } catch (RuntimeException e) {
                    errors.add(e);
                }
                channels[i] = null;
            }
        }
    }
}
