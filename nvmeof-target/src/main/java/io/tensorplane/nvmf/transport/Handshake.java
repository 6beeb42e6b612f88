package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import io.tensorplane.nvmf.fabrics.ConnectCommand;
import io.tensorplane.nvmf.fabrics.FabricsCommands;
import io.tensorplane.nvmf.pdu.CapsuleCmdPdu;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.IcRespPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.ProtocolException;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.subsystem.Registry;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The first bytes of a connection, before any event loop serves it: answers the host's ICReq and reads the command
 * header of the Connect that follows, whose queue id says which loop the connection belongs on (I/O queue {@code q}
 * on loop {@code (q - 1) mod N}, see {@link LoopContexts}); then registers the connection there, once, handing the
 * bytes seen so far to its {@link QueueDecoder}. A connection whose first PDUs are anything else is handed over at
 * once (to the next loop round-robin), and its decoder deals with what it sent.
 *
 * <p>On io_uring and epoll the handshake reads and writes the accepted socket's descriptor directly, woken by a
 * one-shot watch on the accepting loop ({@link CompletionWatch}), so the connection's channel is registered exactly
 * once, on its home loop: Netty's io_uring channels cannot move between loops. NIO channels have no descriptor to
 * read before registration, but they can move: the handshake runs as the channel's only handler on the accepting
 * loop, then the channel is deregistered there and registered on its home loop, before any command is served.
 */
abstract class Handshake {
    private static final Logger LOG = Logger.getLogger(Handshake.class.getName());
    /** The ICReq, then the Connect's common header and SQE with a header digest: all the handshake needs to see. */
    private static final int NEEDED = IcReqPdu.SIZE + CapsuleCmdPdu.HLEN + Pdu.DIGEST_LENGTH;

    final Channel child;
    private final Registry registry;

    final Registry registry() {
        return registry;
    }

    private final LoopContexts loops;
    private final EventLoopGroup workers;
    /** What arrived and is not consumed yet (the ICReq is consumed once answered). */
    final ByteBuf seen;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final IcReqPdu.Decoder icreq = new IcReqPdu.Decoder();
    private boolean icDone;
    private boolean hdgst;
    private boolean ddgst;
    boolean done;

    Handshake(Channel child, Registry registry, LoopContexts loops, EventLoopGroup workers, ByteBufAllocator alloc) {
        this.child = child;
        this.registry = registry;
        this.loops = loops;
        this.workers = workers;
        this.seen = alloc.directBuffer(NEEDED + registry.options().inlineDataSize + 256);
    }

    /** Starts the handshake of an accepted, unregistered connection on the accepting loop {@code boss}. */
    static void start(Channel child, EventLoop boss, Registry registry, LoopContexts loops, EventLoopGroup workers) {
        ByteBufAllocator alloc = child.config().getAllocator();
        if (child instanceof UnixChannel) {
            OnDescriptor h = new OnDescriptor(child, registry, loops, workers, alloc, boss);
            if (h.watch()) {
                return;
            }
            h.seen.release();
        }
        new OnChannel(child, registry, loops, workers, alloc).begin(boss);
    }

    /** Sends {@code icresp} (ICResp bytes) to the host. */
    abstract void send(ByteBuf icresp) throws IOException;

    /** Stops the handshake's own reading, then runs {@code register} (which registers the connection on its loop). */
    abstract void leave(Runnable register);

    /** Looks at what arrived: answers the ICReq, decides the home loop when the Connect's header is there. */
    final void advance() throws IOException {
        if (done) {
            return;
        }
        view.wrap(seen.memoryAddress() + seen.readerIndex(), seen.readableBytes());
        int n = seen.readableBytes();
        if (!icDone) {
            if (n < Pdu.COMMON_HEADER_SIZE) {
                return;
            }
            if (Pdu.type(view, 0) != Pdu.ICREQ || Pdu.hlen(view, 0) != IcReqPdu.SIZE || Pdu.plen(view, 0) != IcReqPdu.SIZE
                    || Pdu.pdo(view, 0) != 0) {
                handOver(null);
                return;
            }
            if (n < IcReqPdu.SIZE) {
                return;
            }
            try {
                PduReceiver.checkIcReq(icreq.wrap(view, 0));
            } catch (ProtocolException e) {
                handOver(null); // the decoder fails it the same way, with the TermReq
                return;
            }
            int enabled = icreq.digest() & (Pdu.HDR_DIGEST_ENABLE | Pdu.DATA_DIGEST_ENABLE);
            hdgst = (enabled & Pdu.HDR_DIGEST_ENABLE) != 0;
            ddgst = (enabled & Pdu.DATA_DIGEST_ENABLE) != 0;
            ByteBuf resp = child.config().getAllocator().directBuffer(IcRespPdu.SIZE);
            UnsafeBuffer out = new UnsafeBuffer(resp.memoryAddress(), IcRespPdu.SIZE);
            resp.writerIndex(new IcRespPdu.Encoder().wrap(out, 0).pfv(Pdu.PFV_1_0).cpda(0).digest(enabled)
                    .maxdata(registry.options().maxH2cData).length());
            loops.handshakes.incrementAndGet();
            icDone = true;
            seen.skipBytes(IcReqPdu.SIZE);
            send(resp);
            view.wrap(seen.memoryAddress() + seen.readerIndex(), seen.readableBytes());
            n = seen.readableBytes();
        }
        if (n < Pdu.COMMON_HEADER_SIZE) {
            return;
        }
        if (Pdu.type(view, 0) != Pdu.CMD || Pdu.hlen(view, 0) != CapsuleCmdPdu.HLEN) {
            handOver(null);
            return;
        }
        if (n < CapsuleCmdPdu.HLEN) {
            return;
        }
        int sqe = CapsuleCmdPdu.SQE;
        boolean connect = (view.getByte(sqe + Sqe.OPCODE) & 0xff) == FabricsCommands.OPCODE
                && (view.getByte(sqe + Sqe.FCTYPE) & 0xff) == FabricsCommands.CONNECT;
        int qid = view.getShort(sqe + ConnectCommand.QID, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xffff;
        EventLoop home = connect ? loops.homeFor(qid) : null;
        if (home != null) {
            loops.steered.incrementAndGet();
        }
        handOver(home);
    }

    /** Registers the connection on {@code home} (null: the next loop) with its decoder and the bytes seen so far. */
    final void handOver(EventLoop home) {
        done = true;
        EventLoop to = home != null ? home : workers.next();
        leave(() -> {
            child.pipeline().addLast("nvme-tcp", new QueueDecoder(registry, loops, seen, icDone, hdgst, ddgst));
            to.register(child).addListener(f -> {
                if (!f.isSuccess()) {
                    LOG.log(Level.WARNING, "connection " + child.remoteAddress() + ": cannot join its event loop", f.cause());
                    child.unsafe().closeForcibly();
                }
            });
        });
    }

    final void fail(Throwable t) {
        if (!done) {
            done = true;
            LOG.fine(() -> "connection " + child.remoteAddress() + " ended during its handshake: " + t);
            seen.release();
            if (child.isRegistered()) {
                child.close();
            } else {
                child.unsafe().closeForcibly();
            }
        }
    }

    /** NIO: a handler on the accepting loop, then a move of the channel to its home loop. */
    private static final class OnChannel extends Handshake {
        private static final String NAME = "nvme-tcp-handshake";
        private ChannelHandlerContext ctx;

        OnChannel(Channel child, Registry registry, LoopContexts loops, EventLoopGroup workers, ByteBufAllocator alloc) {
            super(child, registry, loops, workers, alloc);
        }

        void begin(EventLoop boss) {
            child.pipeline().addLast(NAME, new ChannelInboundHandlerAdapter() {
                @Override
                public void handlerAdded(ChannelHandlerContext c) {
                    ctx = c;
                }

                @Override
                public void channelRead(ChannelHandlerContext c, Object msg) {
                    ByteBuf in = (ByteBuf) msg;
                    try {
                        seen.writeBytes(in); // grows: nothing the host sent is lost, whatever the decoder makes of it
                        advance();
                        if (!done && seen.readableBytes() >= NEEDED + registry().options().inlineDataSize) {
                            handOver(null);
                        }
                    } catch (IOException | RuntimeException e) {
                        fail(e);
                    } finally {
                        in.release();
                    }
                }

                @Override
                public void channelInactive(ChannelHandlerContext c) {
                    fail(new IOException("closed by the host"));
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                    fail(cause);
                }
            });
            boss.register(child).addListener(f -> {
                if (!f.isSuccess()) {
                    seen.release();
                    child.unsafe().closeForcibly();
                }
            });
        }

        @Override
        void send(ByteBuf icresp) {
            ctx.writeAndFlush(icresp, ctx.voidPromise());
        }

        @Override
        void leave(Runnable register) {
            child.pipeline().remove(NAME);
            child.deregister().addListener(f -> {
                if (f.isSuccess()) {
                    register.run();
                } else {
                    LOG.log(Level.WARNING, "connection " + child.remoteAddress() + ": cannot leave the accepting loop", f.cause());
                    child.close();
                }
            });
        }
    }

    /** io_uring and epoll: the socket's descriptor, read and written directly, watched by the accepting loop. */
    private static final class OnDescriptor extends Handshake {
        private final FileDescriptor fd;
        private final EventLoop boss;
        private CompletionWatch watch;

        OnDescriptor(Channel child, Registry registry, LoopContexts loops, EventLoopGroup workers, ByteBufAllocator alloc,
                     EventLoop boss) {
            super(child, registry, loops, workers, alloc);
            this.fd = ((UnixChannel) child).fd();
            this.boss = boss;
        }

        boolean watch() {
            watch = CompletionWatch.start(boss, fd.intValue(), this::readable, true);
            return watch != null;
        }

        private void readable() {
            if (done) {
                return;
            }
            try {
                int n = fd.readAddress(seen.memoryAddress(), seen.writerIndex(), seen.capacity());
                if (n < 0) {
                    throw new IOException("closed by the host");
                }
                seen.writerIndex(seen.writerIndex() + n);
                if (seen.writableBytes() == 0) {
                    handOver(null);
                    return;
                }
                advance();
                if (!done) {
                    watch.rearm();
                }
            } catch (IOException | RuntimeException e) {
                watch.cancel();
                fail(e);
            }
        }

        @Override
        void send(ByteBuf icresp) throws IOException {
            try {
                int n = fd.writeAddress(icresp.memoryAddress(), icresp.readerIndex(), icresp.writerIndex());
                if (n != icresp.readableBytes()) {
                    throw new IOException("ICResp written only in part (" + n + " bytes)");
                }
            } finally {
                icresp.release();
            }
        }

        @Override
        void leave(Runnable register) {
            watch.cancel();
            register.run();
        }
    }
}
