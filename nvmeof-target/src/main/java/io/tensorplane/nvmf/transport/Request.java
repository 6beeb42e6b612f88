package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.subsystem.Namespace;

/**
 * One command slot of a queue: the parsed SQE, its data buffer and its progress. Slots are
 * allocated per queue when it connects and reused; the slot index is the R2T transfer tag.
 * Confined to the queue's event loop.
 */
public final class Request {
    static final int FREE = 0;
    static final int RECV_INLINE = 1;
    static final int AWAIT_H2C = 2;
    static final int EXEC = 3;
    static final int PARKED = 4;

    final TcpQueue queue;
    final int index;
    int generation;
    int state;

    public int opcode;
    public int flags;
    public int cid;
    public int nsid;
    public int cdw10;
    public int cdw11;
    public int cdw12;
    public int cdw13;
    public int cdw14;
    public int cdw15;
    public int sglType;
    public long sglAddr;
    public int sglLength;

    /** Host data (in-capsule or via R2T), readable from its reader index; null if none. */
    public ByteBuf data;
    int expected;
    boolean digestError;
    /** Status to complete with once in-capsule data has been consumed (a bad SGL), 0 if none. */
    int deferredStatus;

    /** Reply under construction: C2HData header, then data from {@link #replyDataStart}. */
    ByteBuf reply;
    int replyDataStart;

    // I/O in flight on the engine.
    public Namespace ns;
    public int length;
    public int pendingOps;
    public int firstError;

    Request(TcpQueue queue, int index) {
        this.queue = queue;
        this.index = index;
    }

    void parse(ByteBuf in, int at) {
        opcode = in.getUnsignedByte(at + Sqe.OPCODE);
        flags = in.getUnsignedByte(at + Sqe.FLAGS);
        cid = in.getUnsignedShortLE(at + Sqe.COMMAND_ID);
        nsid = in.getIntLE(at + Sqe.NSID);
        sglAddr = in.getLongLE(at + Sqe.SGL_ADDR);
        sglLength = in.getIntLE(at + Sqe.SGL_LENGTH);
        sglType = in.getUnsignedByte(at + Sqe.SGL_TYPE);
        cdw10 = in.getIntLE(at + Sqe.CDW10);
        cdw11 = in.getIntLE(at + Sqe.CDW11);
        cdw12 = in.getIntLE(at + Sqe.CDW12);
        cdw13 = in.getIntLE(at + Sqe.CDW13);
        cdw14 = in.getIntLE(at + Sqe.CDW14);
        cdw15 = in.getIntLE(at + Sqe.CDW15);
        digestError = false;
        deferredStatus = 0;
        ns = null;
        length = 0;
        pendingOps = 0;
        firstError = 0;
    }

    /** Fabrics commands: the command type. */
    public int fctype() {
        return nsid & 0xff;
    }

    /** {@code slba} of a read/write command. */
    public long slba() {
        return (cdw10 & 0xffffffffL) | ((long) cdw11 << 32);
    }

    /** The engine tag of this slot's current use: generation and index. */
    public long tag() {
        return ((long) generation << 16) | index;
    }

    public TcpQueue queue() {
        return queue;
    }

    /** Completes the command with a response capsule; the slot is free afterwards. */
    public void complete(int status) {
        queue.complete(this, status, 0);
    }

    public void complete(int status, long result) {
        queue.complete(this, status, result);
    }

    /**
     * Allocates the reply for controller-to-host data of {@code dataLength} bytes and returns it with
     * the writer index at the start of the data: write the data, then call {@link #completeWithData(int)}.
     */
    public ByteBuf replyBuffer(int dataLength) {
        return queue.allocReply(this, dataLength);
    }

    /** Native address of the reply's data area (for the engine to read into). */
    public long replyAddress() {
        return reply.memoryAddress() + replyDataStart;
    }

    /** Sends the reply's data (its first {@code dataLength} bytes, capped at the SGL length) and the completion. */
    public void completeWithData(int dataLength) {
        queue.completeWithData(this, dataLength);
    }

    /** Parks the command (an Asynchronous Event Request) until {@link #complete} is called later. */
    public void park() {
        state = PARKED;
    }

    public boolean isLive() {
        return state != FREE && !queue.closed;
    }

    /** Engine channel of this queue's event loop for the namespace. */
    public io.tensorplane.engine.IoChannel channel(Namespace n) {
        return queue.loop.channel(n);
    }
}
