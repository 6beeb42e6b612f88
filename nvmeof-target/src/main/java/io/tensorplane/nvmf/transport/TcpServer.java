package io.tensorplane.nvmf.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.tensorplane.nvmf.subsystem.Registry;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** The Netty server: one boss loop, N worker loops, a {@link QueueDecoder} per accepted connection. */
public final class TcpServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TcpServer.class.getName());

    private final Registry registry;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final LoopContexts loops = new LoopContexts();
    private final List<Channel> listeners = new ArrayList<>();

    public TcpServer(Registry registry, Transport transport, int threads) {
        this.registry = registry;
        this.transport = transport;
        this.boss = new MultiThreadIoEventLoopGroup(1, transport.factory());
        this.workers = new MultiThreadIoEventLoopGroup(threads, transport.factory());
        registry.ioStats(() -> new long[] {
            loops.sum(s -> s.reads), loops.sum(s -> s.writes), loops.sum(s -> s.readBytes), loops.sum(s -> s.writeBytes)});
        LOG.info("nvmf: transport " + transport.name() + ", " + threads + " event loop" + (threads == 1 ? "" : "s")
                + (transport.why().isEmpty() ? "" : " (" + transport.why() + ")"));
    }

    public LoopContexts loops() {
        return loops;
    }

    public Transport transport() {
        return transport;
    }

    /** Binds a listener; returns the bound address (port 0 picks a free port). */
    public InetSocketAddress listen(InetSocketAddress address) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("nvme-tcp", new QueueDecoder(registry, loops));
                    }
                });
        Channel ch = b.bind(address).sync().channel();
        synchronized (listeners) {
            listeners.add(ch);
        }
        return (InetSocketAddress) ch.localAddress();
    }

    @Override
    public void close() {
        synchronized (listeners) {
            for (Channel ch : listeners) {
                ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            listeners.clear();
        }
        for (var s : registry.subsystems()) {
            for (var c : s.controllers()) {
                c.teardown(null);
            }
        }
        for (var c : registry.discovery().controllers()) {
            c.teardown(null);
        }
        // Let the loops process the closes, then close each loop's engine channels on its thread.
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loops.closeAll();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
