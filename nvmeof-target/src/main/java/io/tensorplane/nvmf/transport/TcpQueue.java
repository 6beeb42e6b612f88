package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.nvmf.admin.AdminCommands;
import io.tensorplane.nvmf.fabrics.FabricsCommands;
import io.tensorplane.nvmf.io.IoCommands;
import io.tensorplane.nvmf.pdu.CapsuleRespPdu;
import io.tensorplane.nvmf.pdu.DataPdu;
import io.tensorplane.nvmf.pdu.Digest;
import io.tensorplane.nvmf.pdu.IcRespPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.PduListener;
import io.tensorplane.nvmf.pdu.ProtocolException;
import io.tensorplane.nvmf.pdu.R2TPdu;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.pdu.Status;
import io.tensorplane.nvmf.pdu.TermReqPdu;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Registry;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One NVMe/TCP connection = one NVMe queue pair (admin or I/O). Receives PDUs from its
 * {@link QueueDecoder}, keeps the command slots, moves data (in-capsule, R2T/H2CData, C2HData)
 * and sends completions. Everything runs on the connection's event loop; engine I/O goes to that
 * loop's channel and completes through {@link #complete(long, int)}.
 */
public final class TcpQueue implements PduListener, IoCompletion {
    private static final Logger LOG = Logger.getLogger(TcpQueue.class.getName());
    private static final int SLACK = 8;
    private static final int OUT_CHUNK = 4096;

    final Registry registry;
    private final LoopContexts loops;
    /** This thread's engine channels and counters; replaced once if the queue moves to its home loop. */
    LoopContext loop;
    private final ChannelHandlerContext ctx;
    private final ByteBufAllocator alloc;
    private final Digest txDigest = new Digest();
    private final String peer;

    boolean closed;
    boolean inRead;
    private boolean dirtyQueued;
    /** Set by Connect when this I/O queue belongs on another loop; the move starts at the next flush. */
    private EventLoop moveTo;
    /** Between deregistration from the old loop and registration on the new one: nothing is flushed. */
    private boolean moving;
    private boolean icDone;
    private boolean hdgst;
    private boolean ddgst;

    private Controller ctrl;
    private int qid = -1;
    private int sqSize;
    private boolean sqhdDisabled;
    private int sqhd;

    private Request[] slots;
    private int[] free;
    private int freeTop;
    private Request inline;
    private Request h2c;
    private ByteBuf out;

    TcpQueue(Registry registry, LoopContexts loops, ChannelHandlerContext ctx) {
        this.registry = registry;
        this.loops = loops;
        this.loop = loops.get(ctx.channel().eventLoop());
        this.ctx = ctx;
        this.alloc = ctx.alloc();
        this.peer = String.valueOf(ctx.channel().remoteAddress());
        resize(4);
    }

    // ---------------------------------------------------------------- accessors for the command layers

    public Registry registry() {
        return registry;
    }

    public Controller controller() {
        return ctrl;
    }

    public int qid() {
        return qid;
    }

    public boolean isConnected() {
        return ctrl != null;
    }

    public String peer() {
        return peer;
    }

    public java.net.SocketAddress localAddress() {
        return ctx.channel().localAddress();
    }

    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    public boolean sqFlowControlDisabled() {
        return sqhdDisabled;
    }

    /** Binds this connection to a controller queue after a successful Fabrics Connect. */
    public void connected(Controller c, int queueId, int sqsize1, boolean disableSqFlow) {
        this.ctrl = c;
        this.qid = queueId;
        this.sqSize = sqsize1;
        this.sqhdDisabled = disableSqFlow;
        resize(sqsize1 + SLACK);
        EventLoop home = loops.homeFor(queueId);
        if (home != null && home != ctx.channel().eventLoop()) {
            moveTo = home; // the Connect response is sent from the home loop
        }
    }

    /** Closes the connection (controller teardown, keep-alive expiry). Safe from any thread. */
    public void close() {
        ctx.channel().close();
    }

    void statsCommand() {
        loop.stats.commands++;
    }

    public Stats stats() {
        return loop.stats;
    }

    // ---------------------------------------------------------------- slots

    private void resize(int n) {
        Request[] old = slots;
        slots = new Request[n];
        free = new int[n];
        freeTop = 0;
        int kept = old == null ? 0 : Math.min(old.length, n);
        for (int i = 0; i < kept; i++) {
            slots[i] = old[i];
        }
        for (int i = n - 1; i >= 0; i--) {
            if (slots[i] == null) {
                slots[i] = new Request(this, i);
            }
            if (slots[i].state == Request.FREE) {
                free[freeTop++] = i;
            }
        }
    }

    private Request allocSlot() {
        if (freeTop == 0) {
            throw new ProtocolException(TermReqPdu.FES_PDU_SEQ_ERR, 0,
                    "host exceeded the queue size (" + slots.length + " commands outstanding)");
        }
        Request r = slots[free[--freeTop]];
        r.state = Request.EXEC;
        return r;
    }

    void freeSlot(Request r) {
        if (r.state == Request.FREE) {
            return;
        }
        releaseBuffers(r);
        r.state = Request.FREE;
        r.generation = (r.generation + 1) & 0xffff;
        free[freeTop++] = r.index;
    }

    private static void releaseBuffers(Request r) {
        if (r.data != null) {
            r.data.release();
            r.data = null;
        }
        if (r.reply != null) {
            r.reply.release();
            r.reply = null;
        }
    }

    // ---------------------------------------------------------------- PduListener

    @Override
    public int onIcReq(int hpda, int digest, int maxr2t) {
        icDone = true;
        int enabled = digest & (Pdu.HDR_DIGEST_ENABLE | Pdu.DATA_DIGEST_ENABLE);
        hdgst = (enabled & Pdu.HDR_DIGEST_ENABLE) != 0;
        ddgst = (enabled & Pdu.DATA_DIGEST_ENABLE) != 0;
        ByteBuf b = outBuf(IcRespPdu.SIZE);
        int start = b.writerIndex();
        Pdu.writeHeader(b, Pdu.ICRESP, 0, IcRespPdu.SIZE, 0, IcRespPdu.SIZE);
        b.writeShortLE(Pdu.PFV_1_0);
        b.writeByte(0); // CPDA: no alignment
        b.writeByte(enabled);
        b.writeIntLE(registry.options().maxH2cData);
        b.writeZero(IcRespPdu.SIZE - (b.writerIndex() - start));
        requestFlush();
        return enabled;
    }

    @Override
    public ByteBuf onCapsule(ByteBuf in, int sqeIndex, int inlineLength) {
        Request r = allocSlot();
        r.parse(in, sqeIndex);
        loop.stats.commands++;
        if (inlineLength > 0) {
            if (r.sglType != Sqe.SGL_INCAPSULE || r.sglLength != inlineLength || r.sglAddr != 0) {
                r.deferredStatus = r.sglType != Sqe.SGL_INCAPSULE ? Status.SGL_INVALID_TYPE | Status.DNR
                        : r.sglAddr != 0 ? Status.SGL_INVALID_OFFSET | Status.DNR : Status.SGL_INVALID_DATA | Status.DNR;
                r.state = Request.RECV_INLINE;
                inline = r;
                return null;
            }
            r.data = alloc.directBuffer(inlineLength);
            r.expected = inlineLength;
            r.state = Request.RECV_INLINE;
            inline = r;
            return r.data;
        }
        if (hostToController(r) && r.sglLength != 0) {
            startHostTransfer(r);
        } else {
            execute(r);
        }
        return null;
    }

    @Override
    public void onCapsuleData(boolean digestOk) {
        Request r = inline;
        inline = null;
        r.state = Request.EXEC;
        if (!digestOk) {
            loop.stats.errors++;
            r.complete(Status.TRANSIENT_TR_ERR);
        } else if (r.deferredStatus != 0) {
            r.complete(r.deferredStatus);
        } else {
            execute(r);
        }
    }

    @Override
    public ByteBuf onH2CData(int cccid, int ttag, int offset, int length, boolean last) {
        Request r = ttag < slots.length ? slots[ttag] : null;
        if (r == null || r.state != Request.AWAIT_H2C || r.cid != cccid) {
            throw new ProtocolException(TermReqPdu.FES_INVALID_PDU_HDR, DataPdu.TTAG,
                    "H2CData for no outstanding R2T (cccid " + cccid + ", ttag " + ttag + ")");
        }
        if (offset != r.data.writerIndex()) {
            throw new ProtocolException(TermReqPdu.FES_DATA_OUT_OF_RANGE, DataPdu.DATAO,
                    "H2CData offset " + Integer.toUnsignedString(offset) + ", expected " + r.data.writerIndex());
        }
        if (length > r.expected - offset) {
            throw new ProtocolException(TermReqPdu.FES_DATA_OUT_OF_RANGE, DataPdu.DATAL,
                    "H2CData of " + length + " bytes at " + offset + " exceeds the R2T length " + r.expected);
        }
        h2c = r;
        return r.data;
    }

    @Override
    public void onH2CDataDone(boolean digestOk) {
        Request r = h2c;
        h2c = null;
        if (!digestOk) {
            r.digestError = true;
            loop.stats.errors++;
        }
        if (r.data.writerIndex() == r.expected) {
            r.state = Request.EXEC;
            if (r.digestError) {
                r.complete(Status.TRANSIENT_TR_ERR);
            } else {
                execute(r);
            }
        }
    }

    @Override
    public void onTermReq(int fes) {
        LOG.info(() -> "host " + peer + " terminated the connection: " + TermReqPdu.fesName(fes));
        ctx.channel().close();
    }

    @Override
    public void onFatal(int fes, int fei, String message) {
        loop.stats.termReqs++;
        LOG.warning(() -> "connection from " + peer + " terminated: " + message + " (" + TermReqPdu.fesName(fes) + ")");
        writeOut();
        ByteBuf b = alloc.directBuffer(TermReqPdu.HLEN);
        Pdu.writeHeader(b, Pdu.C2H_TERM, 0, TermReqPdu.HLEN, 0, TermReqPdu.HLEN);
        b.writeShortLE(fes);
        b.writeIntLE(fei);
        b.writeZero(TermReqPdu.HLEN - b.writerIndex());
        ctx.writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
    }

    // ---------------------------------------------------------------- execution

    private static boolean hostToController(Request r) {
        if (r.opcode == FabricsCommands.OPCODE) {
            return (r.fctype() & 1) != 0;
        }
        return (r.opcode & 1) != 0;
    }

    private void startHostTransfer(Request r) {
        if (r.sglType != Sqe.SGL_TRANSPORT) {
            r.complete(Status.SGL_INVALID_TYPE | Status.DNR);
            return;
        }
        if (Integer.compareUnsigned(r.sglLength, registry.options().mdtsBytes()) > 0) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        if (qid > 0 && ctrl != null) {
            int st = IoCommands.precheck(ctrl, r);
            if (st != 0) {
                r.complete(st);
                return;
            }
        }
        r.data = alloc.directBuffer(r.sglLength);
        r.expected = r.sglLength;
        r.state = Request.AWAIT_H2C;
        loop.stats.r2ts++;
        int hd = hdgst ? Pdu.DIGEST_LENGTH : 0;
        ByteBuf b = outBuf(R2TPdu.HLEN + hd);
        int start = b.writerIndex();
        Pdu.writeHeader(b, Pdu.R2T, hdgst ? Pdu.F_HDGST : 0, R2TPdu.HLEN, 0, R2TPdu.HLEN + hd);
        b.writeShortLE(r.cid);
        b.writeShortLE(r.index);
        b.writeIntLE(0);
        b.writeIntLE(r.sglLength);
        b.writeIntLE(0);
        if (hdgst) {
            b.writeIntLE(txDigest.compute(b, start, R2TPdu.HLEN));
        }
        requestFlush();
    }

    private void execute(Request r) {
        try {
            dispatch(r);
        } catch (RuntimeException e) {
            // A bug or an engine failure must cost one command, not the connection.
            LOG.log(Level.SEVERE, "command 0x" + Integer.toHexString(r.opcode) + " on queue " + qid + " of " + peer + " failed", e);
            if (r.state != Request.FREE) {
                r.pendingOps = 0;
                r.complete(Status.INTERNAL);
            }
        }
    }

    private void dispatch(Request r) {
        if (r.opcode == FabricsCommands.OPCODE) {
            FabricsCommands.execute(this, r);
        } else if (ctrl == null) {
            r.complete(Status.CMD_SEQ_ERROR | Status.DNR);
        } else if (qid == 0) {
            AdminCommands.execute(ctrl, r);
        } else {
            IoCommands.execute(ctrl, r);
        }
    }

    /** Called after every engine submission of this queue. */
    public void submitted(io.tensorplane.engine.IoChannel ch) {
        loop.afterSubmit(ch);
    }

    @Override
    public void complete(long tag, int result) {
        int index = (int) (tag & 0xffff);
        int gen = (int) (tag >>> 16);
        if (index >= slots.length) {
            return;
        }
        Request r = slots[index];
        if (r.generation != gen || r.state != Request.EXEC) {
            return;
        }
        if (closed) {
            if (--r.pendingOps <= 0) {
                freeSlot(r);
            }
            return;
        }
        IoCommands.completed(r, result);
    }

    // ---------------------------------------------------------------- responses

    void complete(Request r, int status, long result) {
        if (r.state == Request.FREE) {
            return;
        }
        if (closed) {
            freeSlot(r);
            return;
        }
        if (status != 0) {
            loop.stats.errors++;
        }
        writeResp(r.cid, status, result);
        freeSlot(r);
        requestFlush();
    }

    private void writeResp(int cid, int status, long result) {
        ByteBuf b = outBuf(CapsuleRespPdu.HLEN + Pdu.DIGEST_LENGTH);
        writeRespTo(b, cid, status, result);
    }

    private void writeRespTo(ByteBuf b, int cid, int status, long result) {
        int start = b.writerIndex();
        int hd = hdgst ? Pdu.DIGEST_LENGTH : 0;
        Pdu.writeHeader(b, Pdu.RSP, hdgst ? Pdu.F_HDGST : 0, CapsuleRespPdu.HLEN, 0, CapsuleRespPdu.HLEN + hd);
        b.writeLongLE(result);
        if (sqhdDisabled) {
            b.writeShortLE(0xffff);
        } else {
            sqhd = sqSize == 0 ? 0 : (sqhd + 1) % sqSize;
            b.writeShortLE(sqhd);
        }
        b.writeShortLE(Math.max(qid, 0));
        b.writeShortLE(cid);
        b.writeShortLE(status << 1);
        if (hdgst) {
            b.writeIntLE(txDigest.compute(b, start, CapsuleRespPdu.HLEN));
        }
    }

    ByteBuf allocReply(Request r, int dataLength) {
        int hd = hdgst ? Pdu.DIGEST_LENGTH : 0;
        int capacity = DataPdu.HLEN + hd + dataLength + Pdu.DIGEST_LENGTH + CapsuleRespPdu.HLEN + Pdu.DIGEST_LENGTH;
        ByteBuf b = alloc.directBuffer(capacity);
        r.replyDataStart = DataPdu.HLEN + hd;
        b.writerIndex(r.replyDataStart);
        r.reply = b;
        return b;
    }

    void completeWithData(Request r, int dataLength) {
        if (closed) {
            freeSlot(r);
            return;
        }
        ByteBuf b = r.reply;
        r.reply = null;
        int len = dataLength;
        if (Integer.compareUnsigned(len, r.sglLength) > 0) {
            len = r.sglLength;
        }
        if (len == 0) {
            b.release();
            complete(r, Status.SUCCESS, 0);
            return;
        }
        int hd = hdgst ? Pdu.DIGEST_LENGTH : 0;
        int dd = ddgst ? Pdu.DIGEST_LENGTH : 0;
        int pdo = DataPdu.HLEN + hd;
        boolean success = sqhdDisabled;
        int flags = Pdu.F_DATA_LAST | (success ? Pdu.F_DATA_SUCCESS : 0)
                | (hdgst ? Pdu.F_HDGST : 0) | (ddgst ? Pdu.F_DDGST : 0);
        b.writerIndex(0);
        Pdu.writeHeader(b, Pdu.C2H_DATA, flags, DataPdu.HLEN, pdo, pdo + len + dd);
        b.writeShortLE(r.cid);
        b.writeShortLE(0);
        b.writeIntLE(0);
        b.writeIntLE(len);
        b.writeIntLE(0);
        if (hdgst) {
            b.writeIntLE(txDigest.compute(b, 0, DataPdu.HLEN));
        }
        b.writerIndex(pdo + len);
        if (ddgst) {
            b.writeIntLE(txDigest.compute(b, pdo, len));
        }
        if (!success) {
            writeRespTo(b, r.cid, Status.SUCCESS, 0);
        }
        writeOut();
        ctx.write(b, ctx.voidPromise());
        freeSlot(r);
        requestFlush();
    }

    private ByteBuf outBuf(int need) {
        ByteBuf b = out;
        if (b != null && b.writableBytes() < need) {
            writeOut();
            b = null;
        }
        if (b == null) {
            b = alloc.directBuffer(Math.max(OUT_CHUNK, need));
            out = b;
        }
        return b;
    }

    private void writeOut() {
        ByteBuf b = out;
        if (b != null) {
            out = null;
            if (b.isReadable()) {
                ctx.write(b, ctx.voidPromise());
            } else {
                b.release();
            }
        }
    }

    private void requestFlush() {
        if (!inRead && !dirtyQueued && !closed) {
            dirtyQueued = true;
            loop.markDirty(this);
        }
    }

    /** End of a read cycle or of a poll pass: write and flush what was produced. */
    void flushNow() {
        dirtyQueued = false;
        if (closed) {
            return;
        }
        writeOut();
        if (moving) {
            return; // flushed by the home loop once the channel is registered there
        }
        if (moveTo != null) {
            moveToHome();
            return;
        }
        ctx.flush();
    }

    /**
     * Moves the connection to its home loop right after its Connect, when no command is in flight
     * (the host sends nothing until the Connect response, which waits unflushed in the channel's
     * outbound buffer). Netty deregisters the channel from this loop and registers it on the home
     * loop; {@link #registeredOn} then runs there and flushes.
     */
    private void moveToHome() {
        EventLoop to = moveTo;
        moveTo = null;
        moving = true;
        Channel ch = ctx.channel();
        ch.deregister().addListener(f -> {
            if (!f.isSuccess()) {
                LOG.log(Level.WARNING, "connection " + peer + ": cannot leave its event loop", f.cause());
                ch.close();
                return;
            }
            to.register(ch).addListener(g -> {
                if (!g.isSuccess()) {
                    LOG.log(Level.WARNING, "connection " + peer + ": cannot join its home event loop", g.cause());
                    ch.close();
                }
            });
        });
    }

    /** The channel is registered on {@code home}'s loop (called on that loop). */
    void registeredOn(LoopContext home) {
        if (!moving) {
            return;
        }
        moving = false;
        loop = home;
        loops.moved();
        if (!closed) {
            writeOut();
            ctx.flush();
        }
    }

    // ---------------------------------------------------------------- lifecycle

    void onClosed() {
        if (closed) {
            return;
        }
        closed = true;
        if (out != null) {
            out.release();
            out = null;
        }
        for (Request r : slots) {
            if (r.state == Request.FREE) {
                continue;
            }
            if (r.state == Request.EXEC && r.pendingOps > 0) {
                // The engine still owns this buffer: free the slot when it completes.
                continue;
            }
            freeSlot(r);
        }
        inline = null;
        h2c = null;
        if (ctrl != null) {
            ctrl.queueClosed(this);
        }
    }

    void onException(Throwable t) {
        if (t instanceof java.io.IOException) {
            LOG.fine(() -> "connection " + peer + ": " + t);
        } else {
            LOG.log(Level.WARNING, "connection " + peer + " failed", t);
        }
        ctx.channel().close();
    }

    boolean icDone() {
        return icDone;
    }
}
