package io.tensorplane.nvmf.io;

import io.tensorplane.engine.IoChannel;
import io.tensorplane.nvmf.core.QueuePair;
import io.tensorplane.nvmf.core.Request;
import io.tensorplane.nvmf.core.RequestState;
import io.tensorplane.nvmf.core.Stats;
import io.tensorplane.nvmf.core.Status;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Namespace;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * NVM command set I/O on the engine: Read, Write, Flush, Write Zeroes, Dataset Management
 * (deallocate). Each command goes to the engine channel of its queue's thread; the engine completes it
 * through the queue pair (inline or later), and the dispatcher brings the completion back to {@link #completed}.
 * No allocation here: the data buffers belong to the transport.
 */
public final class IoCommands {
    public static final int FLUSH = 0x00;
    public static final int WRITE = 0x01;
    public static final int READ = 0x02;
    public static final int WRITE_ZEROES = 0x08;
    public static final int DSM = 0x09;

    /** Dataset Management range: context attributes, length in blocks, starting LBA (16 bytes). */
    public static final int DSM_RANGE_SIZE = 16;
    public static final int DSM_RANGE_NLB = 4;
    public static final int DSM_RANGE_SLBA = 8;
    /** DSM cdw11: Attribute - Deallocate. */
    public static final int DSM_AD = 1 << 2;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private IoCommands() {
    }

    /** Checks a command that needs host data before its R2T is sent; 0 if fine. */
    public static int precheck(Controller c, Request r) {
        if (!c.ready()) {
            return Status.CMD_SEQ_ERROR | Status.DNR;
        }
        if (r.opcode() == WRITE) {
            return checkRw(c, r);
        }
        if (r.opcode() == DSM) {
            Namespace ns = c.subsystem().namespace(r.nsid());
            if (ns == null) {
                return Status.INVALID_NS | Status.DNR;
            }
            return 0;
        }
        if (r.opcode() != WRITE && r.opcode() != DSM) {
            return Status.INVALID_OPCODE | Status.DNR;
        }
        return 0;
    }

    /** Validates a Read or Write and fills {@code r.ns} and {@code r.length}; returns a status or 0. */
    private static int checkRw(Controller c, Request r) {
        Namespace ns = c.subsystem().namespace(r.nsid());
        if (ns == null) {
            return Status.INVALID_NS | Status.DNR;
        }
        long nlb = (r.cdw12() & 0xffff) + 1L;
        long slba = r.slba();
        if (slba < 0 || slba + nlb > ns.blocks() || slba + nlb < 0) {
            return Status.LBA_RANGE | Status.DNR;
        }
        long len = nlb << ns.lbaShift();
        if (len > c.registry().options().maxTransferBytes() || len > Integer.MAX_VALUE) {
            return Status.INVALID_FIELD | Status.DNR;
        }
        if (r.sglLength() != len) {
            return Status.SGL_INVALID_DATA | Status.DNR;
        }
        r.length((int) len);
        return 0;
    }

    public static void execute(Controller c, Request r) {
        if (!c.ready()) {
            r.complete(Status.CMD_SEQ_ERROR | Status.DNR);
            return;
        }
        QueuePair q = r.queue();
        switch (r.opcode()) {
            case READ: {
                int st = checkRw(c, r);
                if (st == 0 && r.sglType() != Sqe.SGL_TRANSPORT) {
                    st = Status.SGL_INVALID_TYPE | Status.DNR;
                }
                if (st != 0) {
                    r.complete(st);
                    return;
                }
                readPiece(c, r);
                return;
            }
            case WRITE: {
                int st = checkRw(c, r);
                int piece = r.pieceLength(c.registry().options().pieceSize);
                if (st == 0 && (r.data() == null || r.data().capacity() != piece)) {
                    st = Status.SGL_INVALID_DATA | Status.DNR;
                }
                if (st != 0) {
                    r.complete(st);
                    return;
                }
                Namespace ns = c.subsystem().namespace(r.nsid());
                IoChannel ch = r.channel(ns);
                int flags = (r.cdw12() & Sqe.RW_FUA << 16) != 0 ? IoChannel.FLAG_FUA : 0;
                r.expect(1);
                ch.write((r.slba() << ns.lbaShift()) + r.transferred(), piece, r.dataAddress(), flags, q, r.tag());
                q.submitted(ch);
                return;
            }
            case FLUSH:
                flush(c, r, q);
                return;
            case WRITE_ZEROES: {
                Namespace ns = c.subsystem().namespace(r.nsid());
                if (ns == null) {
                    r.complete(Status.INVALID_NS | Status.DNR);
                    return;
                }
                long nlb = (r.cdw12() & 0xffff) + 1L;
                long slba = r.slba();
                if (slba < 0 || slba + nlb > ns.blocks()) {
                    r.complete(Status.LBA_RANGE | Status.DNR);
                    return;
                }
                IoChannel ch = r.channel(ns);
                r.expect(1);
                ch.writeZeroes(slba << ns.lbaShift(), nlb << ns.lbaShift(), q, r.tag());
                q.submitted(ch);
                return;
            }
            case DSM:
                dsm(c, r, q);
                return;
            default:
                r.complete(Status.INVALID_OPCODE | Status.DNR);
        }
    }

    /**
     * Reads the current piece of a read (all of it when it fits one piece) into a reply: a long read moves one piece
     * at a time, so a command holds at most one piece of data whatever its length.
     */
    private static void readPiece(Controller c, Request r) {
        Namespace ns = c.subsystem().namespace(r.nsid());
        int piece = r.pieceLength(c.registry().options().pieceSize);
        QueuePair q = r.queue();
        r.state(RequestState.EXECUTING);
        r.reply(piece);
        IoChannel ch = r.channel(ns);
        r.expect(1);
        ch.read((r.slba() << ns.lbaShift()) + r.transferred(), piece, r.replyAddress(), q, r.tag());
        q.submitted(ch);
    }

    /** The last piece of a long read is on its way to the host: the next one is read. */
    public static void nextPiece(Request r) {
        Controller c = r.queue().state().controller();
        if (c == null || !c.ready()) {
            r.complete(Status.CMD_SEQ_ERROR | Status.DNR);
            return;
        }
        r.transferred(r.transferred() + r.pieceLength(c.registry().options().pieceSize));
        readPiece(c, r);
    }

    private static void flush(Controller c, Request r, QueuePair q) {
        if (r.nsid() == -1) {
            int n = c.subsystem().namespaces().size();
            if (n == 0) {
                r.complete(Status.SUCCESS);
                return;
            }
            r.expect(n);
            for (Namespace ns : c.subsystem().namespaces()) {
                IoChannel ch = r.channel(ns);
                ch.flush(q, r.tag());
                q.submitted(ch);
            }
            return;
        }
        Namespace ns = c.subsystem().namespace(r.nsid());
        if (ns == null) {
            r.complete(Status.INVALID_NS | Status.DNR);
            return;
        }
        IoChannel ch = r.channel(ns);
        r.expect(1);
        ch.flush(q, r.tag());
        q.submitted(ch);
    }

    private static void dsm(Controller c, Request r, QueuePair q) {
        Namespace ns = c.subsystem().namespace(r.nsid());
        if (ns == null) {
            r.complete(Status.INVALID_NS | Status.DNR);
            return;
        }
        int nr = (r.cdw10() & 0xff) + 1;
        DirectBuffer d = r.data();
        if (d == null || d.capacity() < nr * DSM_RANGE_SIZE) {
            r.complete(Status.SGL_INVALID_DATA | Status.DNR);
            return;
        }
        if ((r.cdw11() & DSM_AD) == 0) {
            r.complete(Status.SUCCESS);
            return;
        }
        int base = 0;
        int ops = 0;
        for (int i = 0; i < nr; i++) {
            long nlb = (d.getInt(base + i * DSM_RANGE_SIZE + DSM_RANGE_NLB, LE) & 0xffffffffL);
            long slba = d.getLong(base + i * DSM_RANGE_SIZE + DSM_RANGE_SLBA, LE);
            if (nlb == 0) {
                continue;
            }
            if (slba < 0 || slba + nlb > ns.blocks()) {
                r.complete(Status.LBA_RANGE | Status.DNR);
                return;
            }
            ops++;
        }
        if (ops == 0) {
            r.complete(Status.SUCCESS);
            return;
        }
        r.expect(ops);
        IoChannel ch = r.channel(ns);
        int shift = ns.lbaShift();
        for (int i = 0; i < nr; i++) {
            long nlb = (d.getInt(base + i * DSM_RANGE_SIZE + DSM_RANGE_NLB, LE) & 0xffffffffL);
            long slba = d.getLong(base + i * DSM_RANGE_SIZE + DSM_RANGE_SLBA, LE);
            if (nlb != 0) {
                ch.discard(slba << shift, nlb << shift, q, r.tag());
            }
        }
        q.submitted(ch);
    }

    /** An engine completion for {@code r} (the queue checked the tag). */
    public static void completed(Request r, int result) {
        if (!r.engineDone(result)) {
            return;
        }
        Stats st = r.queue().stats();
        int err = r.firstError();
        switch (r.opcode()) {
            case READ:
                if (err == 0) {
                    int pieceSize = r.queue().state().registry().options().pieceSize;
                    int piece = r.pieceLength(pieceSize);
                    if (!r.lastPiece(pieceSize)) {
                        r.sendData(piece);
                        return;
                    }
                    st.reads++;
                    st.readBytes += r.length();
                    r.completeWithData(piece);
                } else {
                    r.complete(Status.fromErrno(err, false));
                }
                return;
            case WRITE:
                if (err == 0) {
                    int pieceSize = r.queue().state().registry().options().pieceSize;
                    if (!r.lastPiece(pieceSize)) {
                        int next = r.transferred() + r.pieceLength(pieceSize);
                        r.requestData(next, Math.min(r.length() - next, pieceSize));
                        return;
                    }
                    st.writes++;
                    st.writeBytes += r.length();
                }
                r.complete(err == 0 ? Status.SUCCESS : Status.fromErrno(err, true));
                return;
            default:
                r.complete(err == 0 ? Status.SUCCESS : Status.fromErrno(err, true));
        }
    }
}
