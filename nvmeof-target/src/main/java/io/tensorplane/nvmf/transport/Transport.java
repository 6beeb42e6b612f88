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

/** The Netty transport: io_uring where the kernel has it, else epoll, else NIO (or forced by name). */
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
    /** Why a better transport was not used (empty if the first choice worked). */
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
        if (w.equals("auto") || w.equals("io_uring")) {
            if (IoUring.isAvailable()) {
                return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class, "");
            }
            if (w.equals("io_uring")) {
                throw new IllegalStateException("io_uring transport unavailable: " + IoUring.unavailabilityCause());
            }
            why.append("io_uring unavailable (").append(IoUring.unavailabilityCause()).append(")");
        }
        if (w.equals("auto") || w.equals("epoll")) {
            if (Epoll.isAvailable()) {
                IoHandlerFactory f = spinMicros > 0 ? EpollIoHandler.newFactory(0, () -> new SpinThenBlock(spinMicros * 1000L))
                        : EpollIoHandler.newFactory();
                return new Transport(spinMicros > 0 ? "epoll (spin " + spinMicros + " us)" : "epoll", f,
                        EpollServerSocketChannel.class, why.toString());
            }
            if (w.equals("epoll")) {
                throw new IllegalStateException("epoll transport unavailable: " + Epoll.unavailabilityCause());
            }
            why.append(why.length() > 0 ? "; " : "").append("epoll unavailable (").append(Epoll.unavailabilityCause()).append(")");
        }
        if (w.equals("auto") || w.equals("nio")) {
            return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, why.toString());
        }
        throw new IllegalArgumentException("unknown transport '" + wanted + "'; expected auto, io_uring, epoll or nio");
    }
}
