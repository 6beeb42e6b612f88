package io.tensorplane.nvmf.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.nvmf.core.Dispatcher;
import io.tensorplane.nvmf.core.QueuePair;
import io.tensorplane.nvmf.core.QueueState;
import io.tensorplane.nvmf.core.Request;
import io.tensorplane.nvmf.core.RequestState;
import io.tensorplane.nvmf.core.Stats;
import io.tensorplane.nvmf.core.Status;
import io.tensorplane.nvmf.core.Timer;
import io.tensorplane.nvmf.pdu.CapsuleRespPdu;
import io.tensorplane.nvmf.pdu.Crc32c;
import io.tensorplane.nvmf.pdu.DataPdu;
import io.tensorplane.nvmf.pdu.IcReqPdu;
import io.tensorplane.nvmf.pdu.IcRespPdu;
import io.tensorplane.nvmf.pdu.Pdu;
import io.tensorplane.nvmf.pdu.ProtocolException;
import io.tensorplane.nvmf.pdu.R2TPdu;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.pdu.TermReqPdu;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Namespace;
import io.tensorplane.nvmf.subsystem.Registry;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One NVMe/TCP connection = one queue pair (admin or I/O): its command slots, its PDU encoders and its flushing.
 * It receives PDUs from its {@link PduReceiver}, moves data (in-capsule, R2T/H2CData, C2HData), hands commands to the
 * {@link Dispatcher} and writes what the command sets complete. Everything runs on the connection's event loop.
 */
final class TcpQueue implements PduListener, QueuePair {
    private static final Logger LOG = Logger.getLogger(TcpQueue.class.getName());
    private static final int SLACK = 8;
    private static final int OUT_CHUNK = 4096;

    private final Registry registry;
    /** This thread's engine channels and counters. */
    private final LoopContext loop;
    private final ChannelHandlerContext ctx;
    private final ByteBufAllocator alloc;
    private final Digest dataDigest = new Digest();
    private final Crc32c headerCrc = new Crc32c();
    private final String peer;
    private final QueueState state;

    private final IcRespPdu.Encoder icResp = new IcRespPdu.Encoder();
    private final CapsuleRespPdu.Encoder resp = new CapsuleRespPdu.Encoder();
    private final R2TPdu.Encoder r2t = new R2TPdu.Encoder();
    private final DataPdu.Encoder c2hData = new DataPdu.Encoder();
    private final TermReqPdu.Encoder termReq = new TermReqPdu.Encoder();
    /** A view of the buffer being encoded into (the aggregation buffer or a reply). */
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

    private boolean closed;
    boolean inRead;
    private boolean dirtyQueued;
    private boolean hdgst;
    private boolean ddgst;

    private TcpRequest[] slots;
    private int[] free;
    private int freeTop;
    private TcpRequest inline;
    private TcpRequest h2c;
    /** Small PDUs (responses, R2Ts) of the current batch, written and flushed together. */
    private ByteBuf out;
    /** What this batch produced (replies, filled {@link #out} buffers), in order, for {@link #sendPending()}. */
    private ByteBuf[] pending = new ByteBuf[16];
    private int pendingCount;
    /** io_uring: the socket, which a flush writes itself when Netty has nothing queued for it; null otherwise. */
    private final FileDescriptor directFd;

    TcpQueue(Registry registry, LoopContexts loops, ChannelHandlerContext ctx) {
        this.registry = registry;
        this.loop = loops.get(ctx.channel().eventLoop());
        this.ctx = ctx;
        this.alloc = ctx.alloc();
        this.peer = String.valueOf(ctx.channel().remoteAddress());
        this.state = new QueueState(registry);
        this.directFd = ctx.channel() instanceof IoUringSocketChannel ? ((UnixChannel) ctx.channel()).fd() : null;
        resize(4);
    }

    // ---------------------------------------------------------------- QueuePair: what the core sees

    @Override
    public QueueState state() {
        return state;
    }

    @Override
    public String peer() {
        return peer;
    }

    @Override
    public SocketAddress localAddress() {
        return ctx.channel().localAddress();
    }

    /** The event loop serving this queue now. */
    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public void connected(Controller c, int qid, int size, boolean disableSqFlow) {
        state.connected(c, qid, size, disableSqFlow);
        resize(size + SLACK);
    }

    @Override
    public void close() {
        ctx.channel().close();
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void execute(Runnable task) {
        ctx.channel().eventLoop().execute(task);
    }

    @Override
    public Timer every(long periodMillis, Runnable task) {
        ScheduledFuture<?> f = ctx.channel().eventLoop().scheduleAtFixedRate(task, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public IoChannel channel(Namespace ns) {
        return loop.channel(ns);
    }

    @Override
    public void submitted(IoChannel ch) {
        loop.afterSubmit(ch);
    }

    @Override
    public Stats stats() {
        return loop.stats;
    }

    // ---------------------------------------------------------------- slots

    private void resize(int n) {
        TcpRequest[] old = slots;
        slots = new TcpRequest[n];
        free = new int[n];
        freeTop = 0;
        int kept = old == null ? 0 : Math.min(old.length, n);
        for (int i = 0; i < kept; i++) {
            slots[i] = old[i];
        }
        for (int i = n - 1; i >= 0; i--) {
            if (slots[i] == null) {
                slots[i] = new TcpRequest(this, i);
            }
            if (slots[i].state() == RequestState.FREE) {
                free[freeTop++] = i;
            }
        }
    }

    private TcpRequest allocSlot() {
        if (freeTop == 0) {
            throw new ProtocolException(TermReqPdu.FES_PDU_SEQ_ERR, 0,
                    "host exceeded the queue size (" + slots.length + " commands outstanding)");
        }
        return slots[free[--freeTop]];
    }

    private void freeSlot(TcpRequest r) {
        if (r.state() == RequestState.FREE) {
            return;
        }
        releaseBuffers(r);
        r.release();
        free[freeTop++] = r.index();
    }

    private static void releaseBuffers(TcpRequest r) {
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
    public int onIcReq(IcReqPdu.Decoder ic) {
        int enabled = ic.digest() & (Pdu.HDR_DIGEST_ENABLE | Pdu.DATA_DIGEST_ENABLE);
        hdgst = (enabled & Pdu.HDR_DIGEST_ENABLE) != 0;
        ddgst = (enabled & Pdu.DATA_DIGEST_ENABLE) != 0;
        ByteBuf b = outBuf(IcRespPdu.SIZE);
        int at = b.writerIndex();
        int n = icResp.wrap(viewOf(b), at).pfv(Pdu.PFV_1_0).cpda(0).digest(enabled).maxdata(registry.options().maxH2cData).length();
        b.writerIndex(at + n);
        requestFlush();
        return enabled;
    }

    /** The handshake answered the ICReq before this queue took the connection over. */
    void afterIcReq(boolean headerDigest, boolean dataDigest) {
        hdgst = headerDigest;
        ddgst = dataDigest;
    }

    @Override
    public ByteBuf onCapsule(Sqe.Decoder sqe, int inlineLength) {
        TcpRequest r = allocSlot();
        r.start(sqe);
        r.digestError = false;
        r.deferredStatus = 0;
        loop.stats.commands++;
        if (inlineLength > 0) {
            r.state(RequestState.RECEIVING);
            inline = r;
            if (r.sglType() != Sqe.SGL_INCAPSULE || r.sglLength() != inlineLength || r.sglAddress() != 0) {
                r.deferredStatus = r.sglType() != Sqe.SGL_INCAPSULE ? Status.SGL_INVALID_TYPE | Status.DNR
                        : r.sglAddress() != 0 ? Status.SGL_INVALID_OFFSET | Status.DNR : Status.SGL_INVALID_DATA | Status.DNR;
                return null;
            }
            r.data = alloc.directBuffer(inlineLength);
            r.expected = inlineLength;
            return r.data;
        }
        if (Dispatcher.hostToController(r) && r.sglLength() != 0) {
            startHostTransfer(r);
        } else {
            Dispatcher.execute(this, r);
        }
        return null;
    }

    @Override
    public void onCapsuleData(boolean digestOk) {
        TcpRequest r = inline;
        inline = null;
        r.state(RequestState.EXECUTING);
        if (!digestOk) {
            loop.stats.errors++;
            r.complete(Status.TRANSIENT_TR_ERR);
        } else if (r.deferredStatus != 0) {
            r.complete(r.deferredStatus);
        } else {
            attach(r);
            Dispatcher.execute(this, r);
        }
    }

    private static void attach(TcpRequest r) {
        ByteBuf d = r.data;
        r.attachData(d.memoryAddress() + d.readerIndex(), d.readableBytes());
    }

    @Override
    public ByteBuf onH2CData(DataPdu.Decoder pdu, boolean last) {
        int ttag = pdu.ttag();
        int offset = pdu.datao();
        int length = pdu.datal();
        TcpRequest r = ttag < slots.length ? slots[ttag] : null;
        if (r == null || r.state() != RequestState.RECEIVING || r == inline || r.cid() != pdu.cccid()) {
            throw new ProtocolException(TermReqPdu.FES_INVALID_PDU_HDR, DataPdu.TTAG,
                    "H2CData for no outstanding R2T (cccid " + pdu.cccid() + ", ttag " + ttag + ")");
        }
        int received = r.data.writerIndex();
        if (offset != r.transferred() + received) {
            throw new ProtocolException(TermReqPdu.FES_DATA_OUT_OF_RANGE, DataPdu.DATAO,
                    "H2CData offset " + Integer.toUnsignedString(offset) + ", expected " + (r.transferred() + received));
        }
        if (length > r.expected - received) {
            throw new ProtocolException(TermReqPdu.FES_DATA_OUT_OF_RANGE, DataPdu.DATAL,
                    "H2CData of " + length + " bytes at " + offset + " exceeds the R2T length " + r.expected);
        }
        h2c = r;
        return r.data;
    }

    @Override
    public void onH2CDataDone(boolean digestOk) {
        TcpRequest r = h2c;
        h2c = null;
        if (!digestOk) {
            r.digestError = true;
            loop.stats.errors++;
        }
        if (r.data.writerIndex() == r.expected) {
            r.state(RequestState.EXECUTING);
            if (r.digestError) {
                r.complete(Status.TRANSIENT_TR_ERR);
            } else {
                attach(r);
                Dispatcher.execute(this, r);
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
        sendPending();
        ByteBuf b = alloc.directBuffer(TermReqPdu.HLEN);
        int n = termReq.wrap(viewOf(b), 0, true).fes(fes).fei(fei).length();
        b.writerIndex(n);
        ctx.writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
    }

    // ---------------------------------------------------------------- host data through R2T

    /**
     * Asks for the host data of a command through R2T: all of it, or its first piece when it is longer than the piece
     * size (the core asks for the next pieces through {@link #requestData} as each one is written).
     */
    private void startHostTransfer(TcpRequest r) {
        int pieceSize = registry.options().pieceSize;
        int st = Dispatcher.admit(this, r, pieceSize);
        if (st != 0) {
            r.complete(st);
            return;
        }
        int piece = Integer.compareUnsigned(r.sglLength(), pieceSize) > 0 ? pieceSize : r.sglLength();
        r.data = alloc.directBuffer(piece);
        sendR2T(r, 0, piece);
    }

    @Override
    public void requestData(Request req, int offset, int length) {
        TcpRequest r = (TcpRequest) req;
        if (closed) {
            freeSlot(r);
            return;
        }
        r.data.clear();
        sendR2T(r, offset, length);
    }

    private void sendR2T(TcpRequest r, int offset, int length) {
        r.expected = length;
        r.state(RequestState.RECEIVING);
        loop.stats.r2ts++;
        ByteBuf b = outBuf(R2TPdu.HLEN + Pdu.DIGEST_LENGTH);
        int at = b.writerIndex();
        int n = r2t.wrap(viewOf(b), at, hdgst).cccid(r.cid()).ttag(r.index()).r2to(offset).r2tl(length).finish(headerCrc);
        b.writerIndex(at + n);
        requestFlush();
    }

    // ---------------------------------------------------------------- engine completions

    @Override
    public void complete(long tag, int result) {
        int index = (int) (tag & 0xffff);
        if (index >= slots.length) {
            return;
        }
        TcpRequest r = slots[index];
        if (!r.isCurrent(tag) || r.state() != RequestState.EXECUTING) {
            return;
        }
        if (closed) {
            if (r.engineDone(result)) {
                freeSlot(r);
            }
            return;
        }
        Dispatcher.completed(r, result);
    }

    // ---------------------------------------------------------------- responses

    @Override
    public void complete(Request req, int status, long result) {
        TcpRequest r = (TcpRequest) req;
        if (r.state() == RequestState.FREE) {
            return;
        }
        if (closed) {
            freeSlot(r);
            return;
        }
        if (status != 0) {
            loop.stats.errors++;
        }
        ByteBuf b = outBuf(CapsuleRespPdu.HLEN + Pdu.DIGEST_LENGTH);
        int at = b.writerIndex();
        b.writerIndex(at + writeResp(viewOf(b), at, r.cid(), status, result));
        freeSlot(r);
        requestFlush();
    }

    private int writeResp(MutableDirectBuffer b, int at, int cid, int status, long result) {
        return resp.wrap(b, at, hdgst).result(result).sqHead(state.nextSqHead()).sqId(Math.max(state.qid(), 0))
                .cid(cid).status(status).finish(headerCrc);
    }

    @Override
    public MutableDirectBuffer reply(Request req, int dataLength) {
        TcpRequest r = (TcpRequest) req;
        int hd = hdgst ? Pdu.DIGEST_LENGTH : 0;
        int capacity = DataPdu.HLEN + hd + dataLength + Pdu.DIGEST_LENGTH + CapsuleRespPdu.HLEN + Pdu.DIGEST_LENGTH;
        ByteBuf b = alloc.directBuffer(capacity);
        r.replyDataStart = DataPdu.HLEN + hd;
        r.reply = b;
        r.replyView.wrap(b.memoryAddress() + r.replyDataStart, dataLength);
        return r.replyView;
    }

    @Override
    public long replyAddress(Request req) {
        TcpRequest r = (TcpRequest) req;
        return r.reply.memoryAddress() + r.replyDataStart;
    }

    @Override
    public void completeWithData(Request req, int dataLength) {
        TcpRequest r = (TcpRequest) req;
        if (closed) {
            freeSlot(r);
            return;
        }
        ByteBuf b = r.reply;
        r.reply = null;
        int len = dataLength;
        int left = r.sglLength() - r.transferred();
        if (Integer.compareUnsigned(len, left) > 0) {
            len = left;
        }
        if (len == 0) {
            b.release();
            complete(r, Status.SUCCESS, 0);
            return;
        }
        boolean success = state.sqFlowControlDisabled();
        MutableDirectBuffer v = viewOf(b);
        int end = c2hData(r, b, v, len, Pdu.F_DATA_LAST | (success ? Pdu.F_DATA_SUCCESS : 0));
        if (!success) {
            end += writeResp(v, end, r.cid(), Status.SUCCESS, 0);
        }
        b.writerIndex(end);
        writeOut();
        send(b);
        freeSlot(r);
        requestFlush();
    }

    /** Writes the C2HData header (and data digest) of {@code len} reply bytes at offset {@code transferred()}. */
    private int c2hData(TcpRequest r, ByteBuf b, MutableDirectBuffer v, int len, int flags) {
        c2hData.wrap(v, 0, Pdu.C2H_DATA, flags, hdgst, ddgst, len).cccid(r.cid()).ttag(0).datao(r.transferred())
                .finish(headerCrc);
        int pdo = c2hData.dataOffset();
        int end = pdo + len;
        if (ddgst) {
            v.putInt(end, dataDigest.compute(b, pdo, len), java.nio.ByteOrder.LITTLE_ENDIAN);
            end += Pdu.DIGEST_LENGTH;
        }
        return end;
    }

    /**
     * A piece of a long read: written and flushed at once, and the next piece is read only once this one has left for
     * the socket, so a slow host holds back the engine instead of filling the outbound buffer.
     */
    @Override
    public void sendData(Request req, int length) {
        TcpRequest r = (TcpRequest) req;
        if (closed) {
            freeSlot(r);
            return;
        }
        ByteBuf b = r.reply;
        r.reply = null;
        b.writerIndex(c2hData(r, b, viewOf(b), length, 0));
        r.state(RequestState.SENDING);
        long tag = r.tag();
        sendPending();
        ctx.writeAndFlush(b).addListener(f -> {
            if (!r.isCurrent(tag) || r.state() != RequestState.SENDING) {
                return;
            }
            if (!f.isSuccess() || closed) {
                freeSlot(r);
            } else {
                Dispatcher.dataSent(r);
            }
        });
    }

    /** Points the encoders' view at {@code b}'s memory (no copy, no allocation). */
    private MutableDirectBuffer viewOf(ByteBuf b) {
        view.wrap(b.memoryAddress(), b.capacity());
        return view;
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
                send(b);
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
        sendPending();
    }

    /** Queues {@code b} (a reply or a batch of small PDUs) for the next flush. */
    private void send(ByteBuf b) {
        if (pendingCount == pending.length) {
            pending = Arrays.copyOf(pending, pending.length * 2);
        }
        pending[pendingCount++] = b;
    }

    /**
     * Writes and flushes everything produced so far, in order. On io_uring, when Netty has nothing queued for the
     * socket, with one {@code writev} from the loop: Netty 4.2.18's io_uring channel would submit a send, allocating
     * the operation's object ({@code IoUringIoOps}), and enter the ring once more to reap its completion. What the
     * socket does not take goes to Netty, which sends it when the socket has room again; from then on everything
     * goes through Netty until its queue is empty, so the order on the wire stays the order produced.
     */
    private void sendPending() {
        writeOut();
        if (pendingCount == 0) {
            return;
        }
        int from = 0;
        if (directFd != null && nothingQueuedInNetty()) {
            from = sendDirect();
            if (from == pendingCount) {
                pendingCount = 0;
                return;
            }
        }
        for (int i = from; i < pendingCount; i++) {
            ctx.write(pending[i], ctx.voidPromise());
            pending[i] = null;
        }
        pendingCount = 0;
        ctx.flush();
    }

    private boolean nothingQueuedInNetty() {
        // A write Netty has submitted stays in the outbound buffer until its completion: none in flight when empty.
        ChannelOutboundBuffer ob = ctx.channel().unsafe().outboundBuffer();
        return ob != null && ob.totalPendingWriteBytes() == 0;
    }

    /** One writev of the pending buffers; returns how many went out whole (the next one may be cut, its rest kept). */
    private int sendDirect() {
        IovArray iov = loop.iov();
        int n = 0;
        while (n < pendingCount && iov.add(pending[n], pending[n].readerIndex(), pending[n].readableBytes())) {
            n++;
        }
        long written;
        try {
            written = directFd.writevAddresses(iov.memoryAddress(0), iov.count());
        } catch (IOException e) {
            return 0; // Netty's write meets the same error and closes the connection
        }
        loop.stats.directSends++;
        int done = 0;
        while (done < n && written >= pending[done].readableBytes()) {
            written -= pending[done].readableBytes();
            pending[done].release();
            pending[done] = null;
            done++;
        }
        if (done < pendingCount && written > 0) {
            pending[done].skipBytes((int) written);
        }
        return done;
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
        for (int i = 0; i < pendingCount; i++) {
            pending[i].release();
            pending[i] = null;
        }
        pendingCount = 0;
        for (TcpRequest r : slots) {
            if (r.state() == RequestState.FREE) {
                continue;
            }
            if (r.state() == RequestState.EXECUTING && r.pendingOps() > 0) {
                // The engine still owns this buffer: free the slot when it completes.
                continue;
            }
            freeSlot(r);
        }
        inline = null;
        h2c = null;
        Controller c = state.controller();
        if (c != null) {
            c.queueClosed(this);
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
}
