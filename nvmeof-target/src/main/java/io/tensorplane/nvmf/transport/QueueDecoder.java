package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.tensorplane.nvmf.subsystem.Registry;

/**
 * The pipeline's only handler: the PDU receiver bound to its connection's {@link TcpQueue}. After a {@link Handshake}
 * it starts past the ICReq, with the digests that were negotiated, and first reads the bytes the handshake saw.
 */
final class QueueDecoder extends PduReceiver {
    private final Registry registry;
    private final LoopContexts loops;
    private TcpQueue queue;
    private ByteBuf preRead;
    private final boolean icDone;
    private final boolean hdgst;
    private final boolean ddgst;

    QueueDecoder(Registry registry, LoopContexts loops) {
        this(registry, loops, null, false, false, false);
    }

    /** @param preRead what arrived before the connection was registered (owned by this decoder from now on) */
    QueueDecoder(Registry registry, LoopContexts loops, ByteBuf preRead, boolean icDone, boolean hdgst, boolean ddgst) {
        super(registry.options().inlineDataSize, registry.options().maxH2cData);
        this.registry = registry;
        this.loops = loops;
        this.preRead = preRead;
        this.icDone = icDone;
        this.hdgst = hdgst;
        this.ddgst = ddgst;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        if (ctx.channel().isRegistered()) {
            bind(ctx);
        }
        // else: added between two loops (NIO, after its handshake): bound once registered on the loop that serves it
    }

    /** Creates the connection's queue on the loop that serves it (its engine channels and counters are that loop's). */
    private void bind(ChannelHandlerContext ctx) {
        queue = new TcpQueue(registry, loops, ctx);
        listener(queue);
        if (icDone) {
            afterIcReq(hdgst, ddgst);
            queue.afterIcReq(hdgst, ddgst);
        }
    }

    /** Registered on the loop that serves the connection: first the bytes the handshake read. */
    @Override
    public void channelRegistered(ChannelHandlerContext ctx) throws Exception {
        if (queue == null) {
            bind(ctx);
        }
        super.channelRegistered(ctx);
        ByteBuf b = preRead;
        preRead = null;
        if (b != null) {
            if (b.isReadable()) {
                channelRead(ctx, b);
                channelReadComplete(ctx);
            } else {
                b.release();
            }
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (preRead != null) {
            preRead.release();
            preRead = null;
        }
    }

    TcpQueue queue() {
        return queue;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        queue.inRead = true;
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        queue.inRead = false;
        queue.flushNow();
        super.channelReadComplete(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        try {
            super.channelInactive(ctx);
        } finally {
            queue.onClosed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        queue.onException(cause);
    }
}
