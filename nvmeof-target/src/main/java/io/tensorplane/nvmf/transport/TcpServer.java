package io.tensorplane.nvmf.transport;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.tensorplane.engine.poll.CpuAffinity;
import io.tensorplane.engine.poll.CpuList;
import io.tensorplane.nvmf.subsystem.Registry;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The Netty server: one accepting loop, N worker loops (optionally pinned one per CPU). Each accepted connection goes
 * through a {@link Handshake} on the accepting loop, which answers its ICReq and reads its Connect to register it on
 * the loop of its queue (see {@link LoopContexts}); admin and discovery queues are spread round-robin.
 */
public final class TcpServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TcpServer.class.getName());

    private final Registry registry;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final LoopContexts loops = new LoopContexts();
    private final List<Channel> listeners = new ArrayList<>();

    /**
     * @param threads event loops when {@code cpus} is empty
     * @param cpus    one event loop per CPU, pinned to it (empty: {@code threads} unpinned loops)
     */
    public TcpServer(Registry registry, Transport transport, int threads, int[] cpus) {
        this.registry = registry;
        this.transport = transport;
        int n = cpus.length > 0 ? cpus.length : threads;
        this.boss = new MultiThreadIoEventLoopGroup(1, transport.factory());
        this.workers = new MultiThreadIoEventLoopGroup(n, transport.factory());
        List<EventLoop> ordered = new ArrayList<>();
        for (EventExecutor e : workers) {
            ordered.add((EventLoop) e);
        }
        loops.homes(ordered);
        String pinned = cpus.length == 0 ? "" : pin(ordered, cpus);
        registry.ioStats(() -> new long[] {
            loops.sum(s -> s.reads), loops.sum(s -> s.writes), loops.sum(s -> s.readBytes), loops.sum(s -> s.writeBytes)});
        LOG.info("nvmf: transport " + transport.name() + ", " + n + " event loop" + (n == 1 ? "" : "s") + pinned
                + (transport.why().isEmpty() ? "" : " (" + transport.why() + ")"));
    }

    /** Pins loop i to cpus[i] (on the loop's own thread); says how it went. */
    private static String pin(List<EventLoop> ordered, int[] cpus) {
        CpuAffinity affinity = CpuAffinity.installed();
        List<Integer> failed = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            int cpu = cpus[i];
            boolean ok;
            try {
                ok = ordered.get(i).submit(() -> affinity.pinCurrentThread(cpu)).get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                ok = false;
            }
            if (!ok) {
                failed.add(cpu);
            }
        }
        String list = CpuList.format(cpus);
        if (failed.isEmpty()) {
            return " pinned to CPUs " + list + " (" + affinity.name() + ")";
        }
        LOG.warning("nvmf: could not pin event loops to CPUs " + failed + " with " + affinity.name()
                + "; those loops run unpinned");
        return " on CPUs " + list + " (pinning failed for " + failed + ")";
    }

    /** One in-process session through the receive and reply path, before the target is announced ({@link WarmUp}). */
    public void warmUp() {
        WarmUp.run(registry, loops);
    }

    public LoopContexts loops() {
        return loops;
    }

    public Transport transport() {
        return transport;
    }

    /** Binds a listener; returns the bound address (port 0 picks a free port). */
    public InetSocketAddress listen(InetSocketAddress address) throws InterruptedException {
        ServerChannel ch;
        try {
            ch = transport.serverChannel().getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a " + transport.name() + " server channel", e);
        }
        ch.config().setOption(ChannelOption.SO_BACKLOG, 256);
        ch.config().setOption(ChannelOption.SO_REUSEADDR, true);
        ch.pipeline().addLast("accept", new Acceptor());
        boss.register(ch).sync();
        try {
            ch.bind(address).sync();
        } catch (RuntimeException | InterruptedException e) {
            ch.close();
            throw e;
        }
        synchronized (listeners) {
            listeners.add(ch);
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /** Takes each accepted connection into its handshake, on the accepting loop. */
    private final class Acceptor extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            try {
                child.config().setOption(ChannelOption.TCP_NODELAY, true);
                child.config().setAllocator(PooledByteBufAllocator.DEFAULT);
                Handshake.start(child, ctx.channel().eventLoop(), registry, loops, workers);
            } catch (RuntimeException e) {
                LOG.warning("nvmf: cannot take connection " + child.remoteAddress() + ": " + e);
                child.unsafe().closeForcibly();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warning("nvmf: accepting on " + ctx.channel().localAddress() + ": " + cause);
        }
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
