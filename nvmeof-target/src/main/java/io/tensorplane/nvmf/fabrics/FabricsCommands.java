package io.tensorplane.nvmf.fabrics;

import io.tensorplane.nvmf.core.QueuePair;
import io.tensorplane.nvmf.core.QueueState;
import io.tensorplane.nvmf.core.Request;
import io.tensorplane.nvmf.core.Status;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Registry;
import io.tensorplane.nvmf.subsystem.Subsystem;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/** Fabrics commands (opcode 0x7f): Connect, Property Get/Set, Disconnect. */
public final class FabricsCommands {
    private static final Logger LOG = Logger.getLogger(FabricsCommands.class.getName());
    public static final int OPCODE = 0x7f;
    public static final int PROPERTY_SET = 0x00;
    public static final int CONNECT = 0x01;
    public static final int PROPERTY_GET = 0x04;
    public static final int DISCONNECT = 0x08;

    private FabricsCommands() {
    }

    public static void execute(QueuePair q, Request r) {
        QueueState s = q.state();
        switch (r.fctype()) {
            case CONNECT:
                connect(q, r);
                return;
            case PROPERTY_GET:
            case PROPERTY_SET:
                if (!s.isConnected()) {
                    r.complete(Status.CMD_SEQ_ERROR | Status.DNR);
                } else if (s.qid() != 0) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                } else if (r.fctype() == PROPERTY_GET) {
                    propertyGet(s.controller(), r);
                } else {
                    propertySet(s.controller(), r);
                }
                return;
            case DISCONNECT:
                r.complete(s.isConnected() ? Status.SUCCESS : Status.CMD_SEQ_ERROR | Status.DNR);
                return;
            default:
                r.complete(Status.INVALID_OPCODE | Status.DNR);
        }
    }

    /** Result of a Connect rejected for an invalid parameter: offset of the field, in the data if {@code data}. */
    static long ipo(int offset, boolean data) {
        return (data ? 1L << 16 : 0L) | offset;
    }

    static String nqn(DirectBuffer d, int at) {
        int len = 0;
        while (len < ConnectData.NQN_SIZE && d.getByte(at + len) != 0) {
            len++;
        }
        byte[] b = new byte[len];
        d.getBytes(at, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void connect(QueuePair q, Request r) {
        Registry reg = q.state().registry();
        if (q.state().isConnected()) {
            r.complete(Status.CMD_SEQ_ERROR | Status.DNR);
            return;
        }
        int recfmt = r.cdw10() & 0xffff;
        int qid = r.cdw10() >>> 16;
        int sqsize = r.cdw11() & 0xffff;
        int cattr = (r.cdw11() >>> 16) & 0xff;
        int kato = r.cdw12();
        if (recfmt != 0) {
            reject(reg, r, Status.CONNECT_FORMAT | Status.DNR, ipo(ConnectCommand.RECFMT, false), "record format " + recfmt);
            return;
        }
        DirectBuffer d = r.data();
        if (d == null || d.capacity() < ConnectData.SIZE) {
            reject(reg, r, Status.SGL_INVALID_DATA | Status.DNR, 0, "connect data missing");
            return;
        }
        String subnqn = nqn(d, ConnectData.SUBSYSNQN);
        String hostnqn = nqn(d, ConnectData.HOSTNQN);
        int cntlid = d.getShort(ConnectData.CNTLID, ByteOrder.LITTLE_ENDIAN) & 0xffff;
        byte[] hostId = new byte[16];
        d.getBytes(ConnectData.HOSTID, hostId);
        Subsystem s = reg.find(subnqn);
        if (s == null) {
            reject(reg, r, Status.CONNECT_INVALID_PARAM | Status.DNR, ipo(ConnectData.SUBSYSNQN, true),
                    "host " + hostnqn + " asked for unknown subsystem " + subnqn);
            return;
        }
        if (!s.allows(hostnqn)) {
            reject(reg, r, Status.CONNECT_INVALID_HOST | Status.DNR, ipo(ConnectData.HOSTNQN, true),
                    "host " + hostnqn + " is not allowed to access " + subnqn);
            return;
        }
        if (sqsize == 0 || sqsize >= reg.options().maxQueueSize) {
            reject(reg, r, Status.CONNECT_INVALID_PARAM | Status.DNR, ipo(ConnectCommand.SQSIZE, false), "sqsize " + sqsize);
            return;
        }
        boolean noSqFlow = (cattr & ConnectCommand.CATTR_DISABLE_SQFLOW) != 0;
        if (qid == 0) {
            Controller c = Controller.create(reg, s, hostnqn, hostId, q, kato);
            if (c == null) {
                reject(reg, r, Status.CONNECT_CTRL_BUSY | Status.DNR, 0, "no free controller id in " + subnqn);
                return;
            }
            q.connected(c, 0, sqsize + 1, noSqFlow);
            c.startKeepAlive();
            LOG.info(() -> "controller " + c.cntlid() + " of " + subnqn + " created for host " + hostnqn + " from " + q.peer()
                    + " (KATO " + c.katoMs() + " ms)");
            r.complete(Status.SUCCESS, c.cntlid());
            return;
        }
        Controller c = s.controller(cntlid);
        if (c == null || c.isDead() || !c.hostNqn().equals(hostnqn) || s.isDiscovery()) {
            reject(reg, r, Status.CONNECT_INVALID_PARAM | Status.DNR, ipo(ConnectData.CNTLID, true),
                    "I/O queue " + qid + " for unknown controller " + cntlid + " of " + subnqn);
            return;
        }
        if (!c.ready()) {
            reject(reg, r, Status.CMD_SEQ_ERROR | Status.DNR, 0, "I/O queue connect before the controller is enabled");
            return;
        }
        if (qid > c.ioQueuesAllowed() || qid > c.maxQid()) {
            reject(reg, r, Status.CONNECT_INVALID_PARAM | Status.DNR, ipo(ConnectCommand.QID, false),
                    "qid " + qid + " beyond the " + c.ioQueuesAllowed() + " I/O queues granted");
            return;
        }
        if (!c.attachIoQueue(qid, q)) {
            reject(reg, r, Status.CMD_SEQ_ERROR | Status.DNR, ipo(ConnectCommand.QID, false), "qid " + qid + " already connected");
            return;
        }
        q.connected(c, qid, sqsize + 1, noSqFlow);
        r.complete(Status.SUCCESS, c.cntlid());
    }

    private static void reject(Registry reg, Request r, int status, long result, String why) {
        reg.connectsRejected.incrementAndGet();
        LOG.warning(() -> "connect rejected (" + Status.describe(status) + "): " + why);
        r.complete(status, result);
    }

    private static void propertyGet(Controller c, Request r) {
        boolean size8 = (r.cdw10() & 7) == 1;
        int offset = r.cdw11();
        long value;
        switch (offset) {
            case PropertyCommand.CAP:
                if (!size8) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
                }
                value = c.cap();
                break;
            case PropertyCommand.VS:
                value = Controller.version();
                break;
            case PropertyCommand.CC:
                value = c.cc() & 0xffffffffL;
                break;
            case PropertyCommand.CSTS:
                value = c.csts() & 0xffffffffL;
                break;
            default:
                r.complete(Status.INVALID_FIELD | Status.DNR);
                return;
        }
        if (size8 && offset != PropertyCommand.CAP) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        r.complete(Status.SUCCESS, value);
    }

    private static void propertySet(Controller c, Request r) {
        boolean size8 = (r.cdw10() & 7) == 1;
        int offset = r.cdw11();
        if (size8) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        switch (offset) {
            case PropertyCommand.CC:
                c.writeCc(r.cdw12());
                r.complete(Status.SUCCESS);
                return;
            case PropertyCommand.NSSR:
            case PropertyCommand.INTMS:
            case PropertyCommand.INTMC:
                r.complete(Status.SUCCESS);
                return;
            default:
                r.complete(Status.INVALID_FIELD | Status.DNR);
        }
    }
}
