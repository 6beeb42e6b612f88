package io.tensorplane.nvmf.core;

import io.tensorplane.nvmf.admin.AdminCommands;
import io.tensorplane.nvmf.fabrics.FabricsCommands;
import io.tensorplane.nvmf.io.IoCommands;
import io.tensorplane.nvmf.pdu.Sqe;
import io.tensorplane.nvmf.subsystem.Controller;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one entry from a transport into the command sets: a command whose data has arrived goes to the fabrics, admin
 * or I/O command set by its opcode and queue; its engine completions come back here. A transport calls
 * {@link #admit} before it asks the host for a command's data, {@link #execute} once the data is there, and
 * {@link #completed} for each engine completion of a command.
 */
public final class Dispatcher {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

    private Dispatcher() {
    }

    /** Whether the command carries host-to-controller data (bit 0 of the opcode, or of the fabrics command type). */
    public static boolean hostToController(Request r) {
        if (r.opcode() == FabricsCommands.OPCODE) {
            return (r.fctype() & 1) != 0;
        }
        return (r.opcode() & 1) != 0;
    }

    /**
     * Checks a command whose host data must be asked for (R2T) before asking: a status to complete it with at once,
     * or 0 to go on.
     *
     * @param maxBuffered the largest transfer the transport holds whole (commands other than I/O writes, which move in
     *                    pieces)
     */
    public static int admit(QueuePair q, Request r, int maxBuffered) {
        if (r.sglType() != Sqe.SGL_TRANSPORT) {
            return Status.SGL_INVALID_TYPE | Status.DNR;
        }
        QueueState s = q.state();
        boolean ioWrite = s.qid() > 0 && r.opcode() == IoCommands.WRITE;
        if (!ioWrite && Integer.compareUnsigned(r.sglLength(), maxBuffered) > 0) {
            return Status.INVALID_FIELD | Status.DNR;
        }
        if (s.qid() > 0 && s.isConnected()) {
            return IoCommands.precheck(s.controller(), r);
        }
        return 0;
    }

    /** Runs a command whose host data (if any) is attached. A failure costs this command, never the connection. */
    public static void execute(QueuePair q, Request r) {
        try {
            QueueState s = q.state();
            Controller c = s.controller();
            if (r.opcode() == FabricsCommands.OPCODE) {
                FabricsCommands.execute(q, r);
            } else if (c == null) {
                r.complete(Status.CMD_SEQ_ERROR | Status.DNR);
            } else if (s.qid() == 0) {
                AdminCommands.execute(c, r);
            } else {
                IoCommands.execute(c, r);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "command 0x" + Integer.toHexString(r.opcode()) + " on queue " + q.state().qid() + " of "
                    + q.peer() + " failed", e);
            if (r.state() != RequestState.FREE) {
                r.expect(0);
                r.complete(Status.INTERNAL);
            }
        }
    }

    /** A piece of a long read that {@link QueuePair#sendData} sent is on its way: the next piece is read. */
    public static void dataSent(Request r) {
        IoCommands.nextPiece(r);
    }

    /** An engine completion of {@code r} (the transport matched its tag to the slot's current use). */
    public static void completed(Request r, int result) {
        IoCommands.completed(r, result);
    }
}
