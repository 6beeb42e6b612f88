package io.tensorplane.nvmf.transport;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

/**
 * The Netty transport: epoll where the kernel has it, else io_uring, else NIO (or forced by name).
 *
 * <p>Why epoll first: with Netty 4.2.18 both make three system calls per command at queue depth 1, and both serve every
 * I/O queue on its CPU's loop from its first byte; but Netty's io_uring loop allocates on every receive (an
 * {@code IoUringIoOps} per submitted receive) and on every turn of the loop (the completion callback,
 * {@code this::handle} in {@code IoUringIoHandler.run}), which no target code can avoid, while epoll's loop allocates
 * nothing. So the default meets "no allocation per command"; {@code --transport io_uring} is there for kernels and
 * Netty versions where it pays.
 */
public final class Transport {
    private final String name;
    private final IoHandlerFactory factory;
    private final Class<? extends ServerChannel> serverChannel;
    private final String why;

    /** Polls without blocking for a while before letting the loop block (the hybrid idle strategy). */
    static final class SpinThenBlock implements io.netty.channel.SelectStrategy {
        private final long spinNanos;

        SpinThenBlock(long spinNanos) {
            this.spinNanos = spinNanos;
        }

        @Override
        public int calculateStrategy(io.netty.util.IntSupplier selectNow, boolean hasTasks) throws Exception {
            int n = selectNow.get();
            if (n > 0 || hasTasks) {
                return n;
            }
            long deadline = System.nanoTime() + spinNanos;
            do {
                Thread.onSpinWait();
                n = selectNow.get();
                if (n > 0) {
                    return n;
                }
            } while (System.nanoTime() < deadline);
            return SELECT;
        }
    }

    private Transport(String name, IoHandlerFactory factory, Class<? extends ServerChannel> serverChannel, String why) {
        this.name = name;
        this.factory = factory;
        this.serverChannel = serverChannel;
        this.why = why;
    }

    public String name() { return name; }
    public IoHandlerFactory factory() { return factory; }
    public Class<? extends ServerChannel> serverChannel() { return serverChannel; }
    /** Why this transport and not another (empty if there is nothing to say). */
    public String why() { return why; }

    /** @param wanted "auto", "io_uring", "epoll" or "nio" */
    public static Transport select(String wanted) {
        return select(wanted, 0);
    }

    /**
     * @param spinMicros with epoll: how long an idle event loop keeps polling (non-blocking epoll_wait)
     *                   before it blocks; 0 blocks at once. Trades CPU for wake-up latency.
     */
    public static Transport select(String wanted, int spinMicros) {
        if (spinMicros > 0 && "auto".equals(wanted == null ? "auto" : wanted) && Epoll.isAvailable()) {
            wanted = "epoll";
        }
        String w = wanted == null ? "auto" : wanted;
        StringBuilder why = new StringBuilder();
        if (w.equals("auto") || w.equals("epoll")) {
            if (Epoll.isAvailable()) {
                IoHandlerFactory f = spinMicros > 0 ? EpollIoHandler.newFactory(0, () -> new SpinThenBlock(spinMicros * 1000L))
                        : EpollIoHandler.newFactory();
                String note = w.equals("auto") && IoUring.isAvailable()
                        ? "io_uring is available with --transport io_uring; epoll is the default because Netty's io_uring"
                          + " loop allocates per receive and epoll's nothing, for as many system calls per command" : "";
                return new Transport(spinMicros > 0 ? "epoll (spin " + spinMicros + " us)" : "epoll", f,
                        EpollServerSocketChannel.class, note);
            }
            if (w.equals("epoll")) {
                throw new IllegalStateException("epoll transport unavailable: " + Epoll.unavailabilityCause());
            }
            why.append("epoll unavailable (").append(Epoll.unavailabilityCause()).append(")");
        }
        if (w.equals("auto") || w.equals("io_uring")) {
            if (IoUring.isAvailable()) {
                return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class, why.toString());
            }
            if (w.equals("io_uring")) {
                throw new IllegalStateException("io_uring transport unavailable: " + IoUring.unavailabilityCause());
            }
            why.append(why.length() > 0 ? "; " : "").append("io_uring unavailable (").append(IoUring.unavailabilityCause()).append(")");
        }
        if (w.equals("auto") || w.equals("nio")) {
            return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, why.toString());
        }
        throw new IllegalArgumentException("unknown transport '" + wanted + "'; expected auto, io_uring, epoll or nio");
    }
}
