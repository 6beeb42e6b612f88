package io.tensorplane.nvmf.transport;

import io.netty.channel.ChannelHandlerContext;
import io.tensorplane.nvmf.subsystem.Registry;

/** The pipeline's only handler: the PDU receiver bound to its connection's {@link TcpQueue}. */
final class QueueDecoder extends PduReceiver {
    private final Registry registry;
    private final LoopContexts loops;
    private TcpQueue queue;

    QueueDecoder(Registry registry, LoopContexts loops) {
        super(registry.options().inlineDataSize, registry.options().maxH2cData);
        this.registry = registry;
        this.loops = loops;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        queue = new TcpQueue(registry, loops, ctx);
        listener(queue);
    }

    /** First registration, or the end of a move to the queue's home loop (now running on it). */
    @Override
    public void channelRegistered(ChannelHandlerContext ctx) throws Exception {
        if (queue != null) {
            queue.registeredOn(loops.get(ctx.channel().eventLoop()));
        }
        super.channelRegistered(ctx);
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
