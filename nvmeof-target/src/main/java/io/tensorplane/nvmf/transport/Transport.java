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
                return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, why.toString());
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
