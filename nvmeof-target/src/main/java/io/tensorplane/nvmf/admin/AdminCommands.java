package io.tensorplane.nvmf.admin;

import io.tensorplane.engine.Capabilities;
import io.tensorplane.nvmf.core.Request;
import io.tensorplane.nvmf.core.Status;
import io.tensorplane.nvmf.discovery.DiscoveryLog;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Namespace;
import io.tensorplane.nvmf.subsystem.Subsystem;
import io.tensorplane.nvmf.subsystem.TargetOptions;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Admin commands of NVM and discovery controllers. Runs on the admin queue's thread. */
public final class AdminCommands {
    public static final int GET_LOG_PAGE = 0x02;
    public static final int IDENTIFY = 0x06;
    public static final int ABORT = 0x08;
    public static final int SET_FEATURES = 0x09;
    public static final int GET_FEATURES = 0x0a;
    public static final int ASYNC_EVENT = 0x0c;
    public static final int KEEP_ALIVE = 0x18;

    public static final int CNS_NS = 0x00;
    public static final int CNS_CTRL = 0x01;
    public static final int CNS_NS_ACTIVE_LIST = 0x02;
    public static final int CNS_NS_DESC_LIST = 0x03;
    public static final int CNS_CS_NS = 0x05;
    public static final int CNS_CS_CTRL = 0x06;

    public static final String MODEL = "Tensorplane NVMe/TCP";
    public static final String FIRMWARE = "0.1.0";

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private AdminCommands() {
    }

    public static void execute(Controller c, Request r) {
        if (!c.ready() && r.opcode() != KEEP_ALIVE) {
            r.complete(Status.CMD_SEQ_ERROR | Status.DNR);
            return;
        }
        c.keepAlive();
        boolean disc = c.subsystem().isDiscovery();
        switch (r.opcode()) {
            case IDENTIFY:
                identify(c, r, disc);
                return;
            case GET_LOG_PAGE:
                getLogPage(c, r, disc);
                return;
            case SET_FEATURES:
                setFeatures(c, r, disc);
                return;
            case GET_FEATURES:
                getFeatures(c, r, disc);
                return;
            case ASYNC_EVENT:
                if (!c.parkAer(r)) {
                    r.complete(Status.ASYNC_LIMIT | Status.DNR);
                }
                return;
            case KEEP_ALIVE:
                r.complete(Status.SUCCESS);
                return;
            case ABORT:
                if (disc) {
                    break;
                }
                r.complete(Status.SUCCESS, 1); // command not aborted
                return;
            default:
                break;
        }
        r.complete(Status.INVALID_OPCODE | Status.DNR);
    }

    // ------------------------------------------------------------------ identify

    private static void identify(Controller c, Request r, boolean disc) {
        int cns = r.cdw10() & 0xff;
        int csi = r.cdw11() >>> 24;
        Subsystem s = c.subsystem();
        if (disc && cns != CNS_CTRL) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        switch (cns) {
            case CNS_CTRL: {
                MutableDirectBuffer b = r.reply(IdentifyController.SIZE);
                fillIdentifyController(c, b, 0);
                r.completeWithData(IdentifyController.SIZE);
                return;
            }
            case CNS_NS:
            case CNS_NS_DESC_LIST:
            case CNS_CS_NS: {
                if (r.nsid() == 0 || r.nsid() == -1 || Integer.compareUnsigned(r.nsid(), s.maxNsid()) > 0) {
                    r.complete(Status.INVALID_NS | Status.DNR);
                    return;
                }
                if (cns == CNS_CS_NS && csi != 0) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
                }
                Namespace ns = s.namespace(r.nsid());
                MutableDirectBuffer b = r.reply(IdentifyNamespace.SIZE);
                int at = 0;
                b.setMemory(0, IdentifyNamespace.SIZE, (byte) 0);
                if (ns != null && cns == CNS_NS) {
                    fillIdentifyNamespace(ns, b, at);
                } else if (ns != null && cns == CNS_NS_DESC_LIST) {
                    fillDescriptors(ns, b, at);
                }
                r.completeWithData(IdentifyNamespace.SIZE);
                return;
            }
            case CNS_NS_ACTIVE_LIST: {
                if (Integer.compareUnsigned(r.nsid(), 0xfffffffe) >= 0) {
                    r.complete(Status.INVALID_NS | Status.DNR);
                    return;
                }
                MutableDirectBuffer b = r.reply(4096);
                int at = 0;
                b.setMemory(0, 4096, (byte) 0);
                int n = 0;
                List<Namespace> list = s.namespaces();
                int[] ids = new int[list.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = list.get(i).nsid();
                }
                java.util.Arrays.sort(ids);
                for (int id : ids) {
                    if (Integer.compareUnsigned(id, r.nsid()) > 0 && n < 1024) {
                        b.putInt(at + 4 * n++, id, LE);
                    }
                }
                r.completeWithData(4096);
                return;
            }
            case CNS_CS_CTRL: {
                if (csi != 0) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
                }
                MutableDirectBuffer b = r.reply(4096);
                b.setMemory(0, 4096, (byte) 0); // no extra limits for write zeroes, write uncorrectable, DSM
                r.completeWithData(4096);
                return;
            }
            default:
                r.complete(Status.INVALID_FIELD | Status.DNR);
        }
    }

    static void fillIdentifyController(Controller c, MutableDirectBuffer b, int at) {
        Subsystem s = c.subsystem();
        TargetOptions o = c.registry().options();
        boolean disc = s.isDiscovery();
        b.setMemory(at, IdentifyController.SIZE, (byte) 0);
        b.putShort(at + IdentifyController.VID, (short) (0), LE);
        b.putShort(at + IdentifyController.SSVID, (short) (0), LE);
        putPadded(b, at + IdentifyController.SN, s.serial(), 20);
        putPadded(b, at + IdentifyController.MN, MODEL, 40);
        putPadded(b, at + IdentifyController.FR, FIRMWARE, 8);
        b.putByte(at + IdentifyController.RAB, (byte) (6));
        b.putByte(at + IdentifyController.IEEE, (byte) (0x54));
        b.putByte(at + IdentifyController.IEEE + 1, (byte) (0x50));
        b.putByte(at + IdentifyController.IEEE + 2, (byte) (0x4c));
        b.putByte(at + IdentifyController.CMIC, (byte) (disc ? 0 : IdentifyController.CMIC_MULTI_CTRL));
        b.putByte(at + IdentifyController.MDTS, (byte) (o.mdts));
        b.putShort(at + IdentifyController.CNTLID, (short) (c.cntlid()), LE);
        b.putInt(at + IdentifyController.VER, Controller.version(), LE);
        b.putInt(at + IdentifyController.OAES, disc ? 0 : IdentifyController.OAES_NS_ATTR, LE);
        b.putByte(at + IdentifyController.CNTRLTYPE, (byte) (disc ? IdentifyController.CNTRLTYPE_DISCOVERY : IdentifyController.CNTRLTYPE_IO));
        b.putByte(at + IdentifyController.ACL, (byte) (3));
        b.putByte(at + IdentifyController.AERL, (byte) (Controller.AERL));
        b.putByte(at + IdentifyController.FRMW, (byte) (0x3)); // one slot, read only
        b.putByte(at + IdentifyController.LPA, (byte) (disc ? IdentifyController.LPA_EXTENDED
                : IdentifyController.LPA_SMART_PER_NS | IdentifyController.LPA_CMD_EFFECTS | IdentifyController.LPA_EXTENDED));
        b.putByte(at + IdentifyController.ELPE, (byte) (0));
        b.putByte(at + IdentifyController.NPSS, (byte) (0));
        b.putShort(at + IdentifyController.KAS, (short) (10), LE); // 100 ms units: KATO granularity of 1 s
        b.putByte(at + IdentifyController.SQES, (byte) (0x66));
        b.putByte(at + IdentifyController.CQES, (byte) (0x44));
        b.putShort(at + IdentifyController.MAXCMD, (short) (o.maxQueueSize), LE);
        b.putInt(at + IdentifyController.NN, disc ? 0 : s.maxNsid(), LE);
        b.putShort(at + IdentifyController.ONCS, (short) (disc ? 0
                : (c.discardSupported() ? IdentifyController.ONCS_DSM : 0) | IdentifyController.ONCS_WRITE_ZEROES), LE);
        b.putByte(at + IdentifyController.VWC, (byte) (c.volatileWriteCachePresent() ? 1 : 0));
        b.putInt(at + IdentifyController.SGLS, 1 | (1 << 20), LE); // SGLs; in-capsule data offsets
        b.putInt(at + IdentifyController.MNAN, 0, LE);
        byte[] nqn = s.nqn().getBytes(StandardCharsets.UTF_8);
        b.putBytes(at + IdentifyController.SUBNQN, nqn, 0, Math.min(nqn.length, 255));
        b.putInt(at + IdentifyController.IOCCSZ, (64 + o.inlineDataSize) / 16, LE);
        b.putInt(at + IdentifyController.IORCSZ, 1, LE);
        b.putShort(at + IdentifyController.ICDOFF, (short) (0), LE);
        b.putByte(at + IdentifyController.CTRATTR, (byte) (0));
        b.putByte(at + IdentifyController.MSDBD, (byte) (1));
        b.putByte(at + IdentifyController.DCTYPE, (byte) (disc ? 1 : 0));
        // Power state 0: 25 W (in centiwatts), no entry/exit latency.
        b.putShort(at + IdentifyController.PSD, (short) (2500), LE);
    }

    private static void putPadded(MutableDirectBuffer b, int at, String s, int size) {
        byte[] v = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < size; i++) {
            b.putByte(at + i, (byte) (i < v.length ? v[i] : ' '));
        }
    }

    static void fillIdentifyNamespace(Namespace ns, MutableDirectBuffer b, int at) {
        long blocks = ns.blocks();
        b.putLong(at + IdentifyNamespace.NSZE, blocks, LE);
        b.putLong(at + IdentifyNamespace.NCAP, blocks, LE);
        b.putLong(at + IdentifyNamespace.NUSE, blocks, LE);
        b.putByte(at + IdentifyNamespace.NSFEAT, (byte) (0));
        b.putByte(at + IdentifyNamespace.NLBAF, (byte) (0));
        b.putByte(at + IdentifyNamespace.FLBAS, (byte) (0));
        b.putByte(at + IdentifyNamespace.NMIC, (byte) (1)); // may be attached to several controllers
        // Deallocated blocks read as zeroes (DLFEAT 001b) when the device says so; Write Zeroes may deallocate.
        Capabilities caps = ns.device().capabilities();
        b.putByte(at + IdentifyNamespace.DLFEAT, (byte) (caps.discardZeroes() ? 0x09 : 0x00));
        // A backend that could only be opened read-only (a read-only file) is a write-protected namespace.
        b.putByte(at + IdentifyNamespace.NSATTR, (byte) (caps.readOnly() ? IdentifyNamespace.NSATTR_WRITE_PROTECTED : 0));
        b.putBytes(at + IdentifyNamespace.NGUID, ns.nguid());
        b.putShort(at + IdentifyNamespace.LBAF, (short) (0), LE);
        b.putByte(at + IdentifyNamespace.LBAF + IdentifyNamespace.LBAF_DS, (byte) (ns.lbaShift()));
    }

    static void fillDescriptors(Namespace ns, MutableDirectBuffer b, int at) {
        int p = at;
        b.putByte(p, (byte) (IdentifyNamespace.NIDT_NGUID));
        b.putByte(p + 1, (byte) (16));
        b.putBytes(p + IdentifyNamespace.DESC_HEADER, ns.nguid());
        p += IdentifyNamespace.DESC_HEADER + 16;
        b.putByte(p, (byte) (IdentifyNamespace.NIDT_UUID));
        b.putByte(p + 1, (byte) (16));
        b.putBytes(p + IdentifyNamespace.DESC_HEADER, ns.uuidBytes());
        p += IdentifyNamespace.DESC_HEADER + 16;
        b.putByte(p, (byte) (IdentifyNamespace.NIDT_CSI));
        b.putByte(p + 1, (byte) (1));
        b.putByte(p + IdentifyNamespace.DESC_HEADER, (byte) (0)); // NVM command set
    }

    // ------------------------------------------------------------------ log pages

    private static void getLogPage(Controller c, Request r, boolean disc) {
        int lid = r.cdw10() & 0xff;
        long numd = (((r.cdw11() & 0xffffL) << 16) | (r.cdw10() >>> 16)) + 1;
        long len = numd * 4;
        long offset = (r.cdw12() & 0xffffffffL) | ((long) r.cdw13() << 32);
        if (len > c.registry().options().pieceSize || (offset & 3) != 0) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        if (disc != (lid == LogPages.DISCOVERY)) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        ExpandableArrayBuffer page = new ExpandableArrayBuffer(4096);
        int pageLength;
        switch (lid) {
            case LogPages.ERROR:
                pageLength = LogPages.ERROR_ENTRY_SIZE;
                break;
            case LogPages.SMART:
                pageLength = smart(c, page);
                break;
            case LogPages.FW_SLOT:
                pageLength = LogPages.FW_SIZE;
                page.putByte(LogPages.FW_AFI, (byte) 1);
                page.putBytes(LogPages.FW_FRS1, padded(FIRMWARE, 8));
                break;
            case LogPages.CHANGED_NS:
                pageLength = LogPages.CHANGED_NS_SIZE;
                break;
            case LogPages.CMD_EFFECTS:
                pageLength = effects(page);
                break;
            case LogPages.DISCOVERY:
                pageLength = DiscoveryLog.write(c.registry(), c.hostNqn(), r.queue().localAddress(), page);
                break;
            default:
                r.complete(Status.INVALID_FIELD | Status.DNR);
                return;
        }
        int n = (int) len;
        MutableDirectBuffer b = r.reply(n);
        b.setMemory(0, n, (byte) 0);
        if (offset < pageLength) {
            int copy = (int) Math.min(n, pageLength - offset);
            b.putBytes(0, page, (int) offset, copy);
        }
        r.completeWithData(n);
    }

    private static byte[] padded(String s, int size) {
        byte[] out = new byte[size];
        byte[] v = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < size; i++) {
            out[i] = i < v.length ? v[i] : (byte) ' ';
        }
        return out;
    }

    private static int smart(Controller c, MutableDirectBuffer page) {
        page.putShort(LogPages.SMART_TEMPERATURE, (short) 313, LE); // 40 °C in kelvin
        page.putByte(LogPages.SMART_AVAIL_SPARE, (byte) 100);
        page.putByte(LogPages.SMART_SPARE_THRESH, (byte) 10);
        long[] io = c.registry().ioStats(); // reads, writes, read bytes, written bytes
        // Data units are thousands of 512-byte units, rounded up.
        page.putLong(LogPages.SMART_DATA_UNITS_READ, (io[2] / 512 + 999) / 1000, LE);
        page.putLong(LogPages.SMART_DATA_UNITS_WRITTEN, (io[3] / 512 + 999) / 1000, LE);
        page.putLong(LogPages.SMART_HOST_READS, io[0], LE);
        page.putLong(LogPages.SMART_HOST_WRITES, io[1], LE);
        page.putLong(LogPages.SMART_POWER_CYCLES, 1, LE);
        return LogPages.SMART_SIZE;
    }

    private static int effects(MutableDirectBuffer page) {
        int[] admin = {GET_LOG_PAGE, IDENTIFY, ABORT, SET_FEATURES, GET_FEATURES, ASYNC_EVENT, KEEP_ALIVE};
        for (int op : admin) {
            page.putInt(LogPages.EFFECTS_ACS + 4 * op, LogPages.EFFECTS_CSUPP, LE);
        }
        page.putInt(LogPages.EFFECTS_IOCS + 4 * 0x00, LogPages.EFFECTS_CSUPP, LE);
        page.putInt(LogPages.EFFECTS_IOCS + 4 * 0x02, LogPages.EFFECTS_CSUPP, LE);
        page.putInt(LogPages.EFFECTS_IOCS + 4 * 0x01, LogPages.EFFECTS_CSUPP | LogPages.EFFECTS_LBCC, LE);
        page.putInt(LogPages.EFFECTS_IOCS + 4 * 0x08, LogPages.EFFECTS_CSUPP | LogPages.EFFECTS_LBCC, LE);
        page.putInt(LogPages.EFFECTS_IOCS + 4 * 0x09, LogPages.EFFECTS_CSUPP | LogPages.EFFECTS_LBCC, LE);
        return LogPages.EFFECTS_SIZE;
    }

    // ------------------------------------------------------------------ features

    private static void setFeatures(Controller c, Request r, boolean disc) {
        int fid = r.cdw10() & 0xff;
        if ((r.cdw10() & 0x80000000) != 0) {
            r.complete(Status.FEATURE_NOT_SAVEABLE | Status.DNR);
            return;
        }
        if (disc && fid != Features.ASYNC_EVENT && fid != Features.KATO) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        switch (fid) {
            case Features.NUM_QUEUES: {
                int nsqr = r.cdw11() & 0xffff;
                int ncqr = r.cdw11() >>> 16;
                if (nsqr == 0xffff || ncqr == 0xffff) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
                }
                int n = c.requestIoQueues(Math.min(nsqr, ncqr) + 1);
                r.complete(Status.SUCCESS, ((long) (n - 1) << 16) | (n - 1));
                return;
            }
            case Features.ASYNC_EVENT:
                c.asyncEventConfig(r.cdw11());
                r.complete(Status.SUCCESS);
                return;
            case Features.KATO:
                c.katoMs(r.cdw11());
                r.complete(Status.SUCCESS);
                return;
            case Features.VOLATILE_WC:
                if (!c.volatileWriteCachePresent()) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
                }
                c.volatileWriteCache((r.cdw11() & 1) != 0);
                r.complete(Status.SUCCESS);
                return;
            default:
                r.complete(Status.INVALID_FIELD | Status.DNR);
        }
    }

    private static void getFeatures(Controller c, Request r, boolean disc) {
        int fid = r.cdw10() & 0xff;
        int sel = (r.cdw10() >>> 8) & 7;
        if (disc && fid != Features.ASYNC_EVENT && fid != Features.KATO) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        long value;
        switch (fid) {
            case Features.NUM_QUEUES: {
                int n = c.ioQueuesAllowed() - 1;
                value = ((long) n << 16) | n;
                break;
            }
            case Features.ASYNC_EVENT:
                value = c.asyncEventConfig() & 0xffffffffL;
                break;
            case Features.KATO:
                value = c.katoMs() & 0xffffffffL;
                break;
            case Features.VOLATILE_WC:
                value = c.volatileWriteCache() ? 1 : 0;
                break;
            case Features.ARBITRATION:
            case Features.POWER_MGMT:
            case Features.ERR_RECOVERY:
            case Features.IRQ_COALESCE:
            case Features.WRITE_ATOMIC:
                value = 0;
                break;
            case Features.TEMP_THRESH:
                value = 343; // 70 °C
                break;
            default:
                r.complete(Status.INVALID_FIELD | Status.DNR);
                return;
        }
        if (sel == 3) {
            boolean changeable = fid == Features.NUM_QUEUES || fid == Features.ASYNC_EVENT || fid == Features.KATO
                    || fid == Features.VOLATILE_WC;
            value = changeable ? 0x4 : 0;
        } else if (sel == 2) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        r.complete(Status.SUCCESS, value);
    }
}
