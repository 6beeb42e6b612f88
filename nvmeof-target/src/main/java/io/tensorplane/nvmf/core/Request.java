package io.tensorplane.nvmf.core;

import io.tensorplane.engine.IoChannel;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.subsystem.Namespace;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One command slot of a queue pair: the parsed SQE, a view of its host data, its state and the engine operations it
 * waits for. Slots are allocated per queue when it connects and reused; the slot index and a generation form the
 * engine tag. A transport extends this class with what it keeps per command (buffers, transfer progress), as SPDK's
 * {@code spdk_nvmf_tcp_req} embeds {@code spdk_nvmf_request}. Confined to the queue's thread.
 */
public class Request {
    private final QueuePair queue;
    private final int index;
    private int generation;
    private RequestState state = RequestState.FREE;

    private int opcode;
    private int flags;
    private int cid;
    private int nsid;
    private int cdw10;
    private int cdw11;
    private int cdw12;
    private int cdw13;
    private int cdw14;
    private int cdw15;
    private int sglType;
    private long sglAddress;
    private int sglLength;

    private final UnsafeBuffer data = new UnsafeBuffer(0, 0);
    private boolean hasData;

    private int length;
    private int transferred;
    private int pendingOps;
    private int firstError;

    protected Request(QueuePair queue, int index) {
        this.queue = queue;
        this.index = index;
    }

    /** Starts a new use of the slot with the SQE {@code sqe} (which the caller owns; it is copied). */
    public final void start(Sqe.Decoder sqe) {
        opcode = sqe.opcode();
        flags = sqe.flags();
        cid = sqe.cid();
        nsid = sqe.nsid();
        sglAddress = sqe.sglAddress();
        sglLength = sqe.sglLength();
        sglType = sqe.sglType();
        cdw10 = sqe.cdw(10);
        cdw11 = sqe.cdw(11);
        cdw12 = sqe.cdw(12);
        cdw13 = sqe.cdw(13);
        cdw14 = sqe.cdw(14);
        cdw15 = sqe.cdw(15);
        hasData = false;
        length = 0;
        transferred = 0;
        pendingOps = 0;
        firstError = 0;
        state = RequestState.EXECUTING;
    }

    // ------------------------------------------------------------------ the command

    public final int opcode() { return opcode; }
    public final int flags() { return flags; }
    public final int cid() { return cid; }
    public final int nsid() { return nsid; }
    public final int cdw10() { return cdw10; }
    public final int cdw11() { return cdw11; }
    public final int cdw12() { return cdw12; }
    public final int cdw13() { return cdw13; }
    public final int cdw14() { return cdw14; }
    public final int cdw15() { return cdw15; }
    public final int sglType() { return sglType; }
    public final long sglAddress() { return sglAddress; }
    /** The data length the SGL describes (unsigned). */
    public final int sglLength() { return sglLength; }

    /** Fabrics commands: the command type. */
    public final int fctype() {
        return nsid & 0xff;
    }

    /** {@code slba} of a read/write command. */
    public final long slba() {
        return (cdw10 & 0xffffffffL) | ((long) cdw11 << 32);
    }

    // ------------------------------------------------------------------ slot and state

    public final QueuePair queue() { return queue; }
    public final int index() { return index; }
    public final RequestState state() { return state; }

    /** Set by the transport as the command moves (receiving its data, executing, sending a long reply). */
    public final void state(RequestState s) {
        state = s;
    }

    /** The engine tag of this slot's current use: generation and index. */
    public final long tag() {
        return ((long) generation << 16) | index;
    }

    /** Whether an engine completion tagged {@code tag} belongs to this slot's current use. */
    public final boolean isCurrent(long tag) {
        return (tag >>> 16) == generation && state != RequestState.FREE;
    }

    /** Ends this use of the slot: engine completions for it that still arrive are ignored. */
    public final void release() {
        state = RequestState.FREE;
        generation = (generation + 1) & 0xffff;
        hasData = false;
        data.wrap(0, 0);
    }

    /** Whether the slot is in use and its queue still open. */
    public final boolean isLive() {
        return state != RequestState.FREE && !queue.isClosed();
    }

    // ------------------------------------------------------------------ host data

    /** Host data (in-capsule or through R2T), or null if the command carried none. */
    public final DirectBuffer data() {
        return hasData ? data : null;
    }

    /** Native address of the host data. */
    public final long dataAddress() {
        return data.addressOffset();
    }

    /** The transport attaches the host data once it has arrived (native memory it owns until the slot is freed). */
    public final void attachData(long address, int bytes) {
        data.wrap(address, bytes);
        hasData = true;
    }

    // ------------------------------------------------------------------ completion

    /** Completes the command with a response capsule; the slot is free afterwards. */
    public final void complete(int status) {
        queue.complete(this, status, 0);
    }

    public final void complete(int status, long result) {
        queue.complete(this, status, result);
    }

    /** Space for {@code bytes} of controller-to-host data, from index 0; then {@link #completeWithData(int)}. */
    public final MutableDirectBuffer reply(int bytes) {
        return queue.reply(this, bytes);
    }

    /** Native address of the reply's data (for the engine to read into). */
    public final long replyAddress() {
        return queue.replyAddress(this);
    }

    /** Sends the reply's first {@code bytes} (capped at the SGL length) and the completion. */
    public final void completeWithData(int bytes) {
        queue.completeWithData(this, bytes);
    }

    /** Parks the command (an Asynchronous Event Request) until {@link #complete} is called later. */
    public final void park() {
        state = RequestState.PARKED;
    }

    // ------------------------------------------------------------------ engine work

    /** Engine channel of this queue's thread for {@code ns}. */
    public final IoChannel channel(Namespace ns) {
        return queue.channel(ns);
    }

    /** Data length in bytes of a validated read or write. */
    public final int length() { return length; }

    public final void length(int bytes) {
        length = bytes;
    }

    /**
     * Bytes of a read or write moved before the current piece: a transfer longer than the target's piece size moves
     * one piece at a time, and this is the current piece's offset in the command's data.
     */
    public final int transferred() { return transferred; }

    public final void transferred(int bytes) {
        transferred = bytes;
    }

    /** Length of the current piece: what is left of the transfer, at most {@code pieceSize}. */
    public final int pieceLength(int pieceSize) {
        return Math.min(length - transferred, pieceSize);
    }

    /** Whether the current piece is the transfer's last. */
    public final boolean lastPiece(int pieceSize) {
        return length - transferred <= pieceSize;
    }

    /** Asks the host for the next piece of a long write ({@link QueuePair#requestData}). */
    public final void requestData(int offset, int bytes) {
        transferred = offset;
        queue.requestData(this, offset, bytes);
    }

    /** Sends the reply's first {@code bytes} as a piece of a long read that is not the last ({@link QueuePair#sendData}). */
    public final void sendData(int bytes) {
        queue.sendData(this, bytes);
    }

    /** The command now waits for {@code ops} engine completions. */
    public final void expect(int ops) {
        pendingOps = ops;
        firstError = 0;
    }

    /** Counts one engine completion; true when it was the last one the command waited for. */
    public final boolean engineDone(int result) {
        if (result < 0 && firstError == 0) {
            firstError = result;
        }
        return --pendingOps <= 0;
    }

    /** Engine operations still in flight for this command. */
    public final int pendingOps() {
        return pendingOps;
    }

    /** The first negative errno among the engine completions, 0 if none failed. */
    public final int firstError() {
        return firstError;
    }
}
