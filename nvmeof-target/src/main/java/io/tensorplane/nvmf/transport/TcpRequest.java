package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.tensorplane.nvmf.core.QueuePair;
import io.tensorplane.nvmf.core.Request;
import org.agrona.concurrent.UnsafeBuffer;

/** A command slot with what NVMe/TCP keeps per command: its pooled buffers and the progress of its data transfer. */
final class TcpRequest extends Request {
    /** Host data (in-capsule or through R2T), filled from its writer index; null if none. */
    ByteBuf data;
    /** Bytes of host data the command carries. */
    int expected;
    boolean digestError;
    /** Status to complete with once in-capsule data has been consumed (a bad SGL), 0 if none. */
    int deferredStatus;

    /** Reply under construction: C2HData header, then data from {@link #replyDataStart}. */
    ByteBuf reply;
    int replyDataStart;
    /** The reply's data area as the command sets see it. */
    final UnsafeBuffer replyView = new UnsafeBuffer(0, 0);

    TcpRequest(QueuePair queue, int index) {
        super(queue, index);
    }
}
