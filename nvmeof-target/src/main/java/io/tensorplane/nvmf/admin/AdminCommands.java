package io.tensorplane.nvmf.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.nvmf.discovery.DiscoveryLog;
import io.tensorplane.nvmf.pdu.Status;
import io.tensorplane.nvmf.subsystem.Controller;
import io.tensorplane.nvmf.subsystem.Namespace;
import io.tensorplane.nvmf.subsystem.Subsystem;
import io.tensorplane.nvmf.subsystem.TargetOptions;
import io.tensorplane.nvmf.transport.Request;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Admin commands of NVM and discovery controllers. Runs on the admin queue's event loop. */
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

    private AdminCommands() {
    }

    public static void execute(Controller c, Request r) {
        if (!c.ready() && r.opcode != KEEP_ALIVE) {
            r.complete(Status.CMD_SEQ_ERROR | Status.DNR);
            return;
        }
        c.keepAlive();
        boolean disc = c.subsystem().isDiscovery();
        switch (r.opcode) {
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
        int cns = r.cdw10 & 0xff;
        int csi = r.cdw11 >>> 24;
        Subsystem s = c.subsystem();
        if (disc && cns != CNS_CTRL) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        switch (cns) {
            case CNS_CTRL: {
                ByteBuf b = r.replyBuffer(IdentifyController.SIZE);
                fillIdentifyController(c, b, b.writerIndex());
                r.completeWithData(IdentifyController.SIZE);
                return;
            }
            case CNS_NS:
            case CNS_NS_DESC_LIST:
            case CNS_CS_NS: {
                if (r.nsid == 0 || r.nsid == -1 || Integer.compareUnsigned(r.nsid, s.maxNsid()) > 0) {
                    r.complete(Status.INVALID_NS | Status.DNR);
                    return;
                }
                if (cns == CNS_CS_NS && csi != 0) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
                }
                Namespace ns = s.namespace(r.nsid);
                ByteBuf b = r.replyBuffer(IdentifyNamespace.SIZE);
                int at = b.writerIndex();
                b.writeZero(IdentifyNamespace.SIZE);
                if (ns != null && cns == CNS_NS) {
                    fillIdentifyNamespace(ns, b, at);
                } else if (ns != null && cns == CNS_NS_DESC_LIST) {
                    fillDescriptors(ns, b, at);
                }
                r.completeWithData(IdentifyNamespace.SIZE);
                return;
            }
            case CNS_NS_ACTIVE_LIST: {
                if (Integer.compareUnsigned(r.nsid, 0xfffffffe) >= 0) {
                    r.complete(Status.INVALID_NS | Status.DNR);
                    return;
                }
                ByteBuf b = r.replyBuffer(4096);
                int at = b.writerIndex();
                b.writeZero(4096);
                int n = 0;
                List<Namespace> list = s.namespaces();
                int[] ids = new int[list.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = list.get(i).nsid();
                }
                java.util.Arrays.sort(ids);
                for (int id : ids) {
                    if (Integer.compareUnsigned(id, r.nsid) > 0 && n < 1024) {
                        b.setIntLE(at + 4 * n++, id);
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
                ByteBuf b = r.replyBuffer(4096);
                b.writeZero(4096); // no extra limits for write zeroes, write uncorrectable, DSM
                r.completeWithData(4096);
                return;
            }
            default:
                r.complete(Status.INVALID_FIELD | Status.DNR);
        }
    }

    static void fillIdentifyController(Controller c, ByteBuf b, int at) {
        Subsystem s = c.subsystem();
        TargetOptions o = c.registry().options();
        boolean disc = s.isDiscovery();
        b.setZero(at, IdentifyController.SIZE);
        b.writerIndex(at + IdentifyController.SIZE);
        b.setShortLE(at + IdentifyController.VID, 0);
        b.setShortLE(at + IdentifyController.SSVID, 0);
        putPadded(b, at + IdentifyController.SN, s.serial(), 20);
        putPadded(b, at + IdentifyController.MN, MODEL, 40);
        putPadded(b, at + IdentifyController.FR, FIRMWARE, 8);
        b.setByte(at + IdentifyController.RAB, 6);
        b.setByte(at + IdentifyController.IEEE, 0x54);
        b.setByte(at + IdentifyController.IEEE + 1, 0x50);
        b.setByte(at + IdentifyController.IEEE + 2, 0x4c);
        b.setByte(at + IdentifyController.CMIC, disc ? 0 : IdentifyController.CMIC_MULTI_CTRL);
        b.setByte(at + IdentifyController.MDTS, o.mdts);
        b.setShortLE(at + IdentifyController.CNTLID, c.cntlid());
        b.setIntLE(at + IdentifyController.VER, Controller.version());
        b.setIntLE(at + IdentifyController.OAES, disc ? 0 : IdentifyController.OAES_NS_ATTR);
        b.setByte(at + IdentifyController.CNTRLTYPE, disc ? IdentifyController.CNTRLTYPE_DISCOVERY : IdentifyController.CNTRLTYPE_IO);
        b.setByte(at + IdentifyController.ACL, 3);
        b.setByte(at + IdentifyController.AERL, Controller.AERL);
        b.setByte(at + IdentifyController.FRMW, 0x3); // one slot, read only
        b.setByte(at + IdentifyController.LPA, disc ? IdentifyController.LPA_EXTENDED
                : IdentifyController.LPA_SMART_PER_NS | IdentifyController.LPA_CMD_EFFECTS | IdentifyController.LPA_EXTENDED);
        b.setByte(at + IdentifyController.ELPE, 0);
        b.setByte(at + IdentifyController.NPSS, 0);
        b.setShortLE(at + IdentifyController.KAS, 10); // 100 ms units: KATO granularity of 1 s
        b.setByte(at + IdentifyController.SQES, 0x66);
        b.setByte(at + IdentifyController.CQES, 0x44);
        b.setShortLE(at + IdentifyController.MAXCMD, o.maxQueueSize);
        b.setIntLE(at + IdentifyController.NN, disc ? 0 : s.maxNsid());
        b.setShortLE(at + IdentifyController.ONCS, disc ? 0
                : (c.discardSupported() ? IdentifyController.ONCS_DSM : 0) | IdentifyController.ONCS_WRITE_ZEROES);
        b.setByte(at + IdentifyController.VWC, c.volatileWriteCachePresent() ? 1 : 0);
        b.setIntLE(at + IdentifyController.SGLS, 1 | (1 << 20)); // SGLs; in-capsule data offsets
        b.setIntLE(at + IdentifyController.MNAN, 0);
        byte[] nqn = s.nqn().getBytes(StandardCharsets.UTF_8);
        b.setBytes(at + IdentifyController.SUBNQN, nqn, 0, Math.min(nqn.length, 255));
        b.setIntLE(at + IdentifyController.IOCCSZ, (64 + o.inlineDataSize) / 16);
        b.setIntLE(at + IdentifyController.IORCSZ, 1);
        b.setShortLE(at + IdentifyController.ICDOFF, 0);
        b.setByte(at + IdentifyController.CTRATTR, 0);
        b.setByte(at + IdentifyController.MSDBD, 1);
        b.setByte(at + IdentifyController.DCTYPE, disc ? 1 : 0);
        // Power state 0: 25 W (in centiwatts), no entry/exit latency.
        b.setShortLE(at + IdentifyController.PSD, 2500);
    }

    private static void putPadded(ByteBuf b, int at, String s, int size) {
        byte[] v = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < size; i++) {
            b.setByte(at + i, i < v.length ? v[i] : ' ');
        }
    }

    static void fillIdentifyNamespace(Namespace ns, ByteBuf b, int at) {
        long blocks = ns.blocks();
        b.setLongLE(at + IdentifyNamespace.NSZE, blocks);
        b.setLongLE(at + IdentifyNamespace.NCAP, blocks);
        b.setLongLE(at + IdentifyNamespace.NUSE, blocks);
        b.setByte(at + IdentifyNamespace.NSFEAT, 0);
        b.setByte(at + IdentifyNamespace.NLBAF, 0);
        b.setByte(at + IdentifyNamespace.FLBAS, 0);
        b.setByte(at + IdentifyNamespace.NMIC, 1); // may be attached to several controllers
        // Deallocated blocks read as zeroes (DLFEAT 001b) when the device says so; Write Zeroes may deallocate.
        Capabilities caps = ns.device().capabilities();
        b.setByte(at + IdentifyNamespace.DLFEAT, caps.discardZeroes() ? 0x09 : 0x00);
        // A backend that could only be opened read-only (a read-only file) is a write-protected namespace.
        b.setByte(at + IdentifyNamespace.NSATTR, caps.readOnly() ? IdentifyNamespace.NSATTR_WRITE_PROTECTED : 0);
        b.setBytes(at + IdentifyNamespace.NGUID, ns.nguid());
        b.setShortLE(at + IdentifyNamespace.LBAF, 0);
        b.setByte(at + IdentifyNamespace.LBAF + IdentifyNamespace.LBAF_DS, ns.lbaShift());
    }

    static void fillDescriptors(Namespace ns, ByteBuf b, int at) {
        int p = at;
        b.setByte(p, IdentifyNamespace.NIDT_NGUID);
        b.setByte(p + 1, 16);
        b.setBytes(p + IdentifyNamespace.DESC_HEADER, ns.nguid());
        p += IdentifyNamespace.DESC_HEADER + 16;
        b.setByte(p, IdentifyNamespace.NIDT_UUID);
        b.setByte(p + 1, 16);
        b.setBytes(p + IdentifyNamespace.DESC_HEADER, ns.uuidBytes());
        p += IdentifyNamespace.DESC_HEADER + 16;
        b.setByte(p, IdentifyNamespace.NIDT_CSI);
        b.setByte(p + 1, 1);
        b.setByte(p + IdentifyNamespace.DESC_HEADER, 0); // NVM command set
    }

    // ------------------------------------------------------------------ log pages

    private static void getLogPage(Controller c, Request r, boolean disc) {
        int lid = r.cdw10 & 0xff;
        long numd = (((r.cdw11 & 0xffffL) << 16) | (r.cdw10 >>> 16)) + 1;
        long len = numd * 4;
        long offset = (r.cdw12 & 0xffffffffL) | ((long) r.cdw13 << 32);
        if (len > c.registry().options().mdtsBytes() || (offset & 3) != 0) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        if (disc != (lid == LogPages.DISCOVERY)) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        ByteBuf page = PooledByteBufAllocator.DEFAULT.heapBuffer(4096);
        try {
            switch (lid) {
                case LogPages.ERROR:
                    page.writeZero(LogPages.ERROR_ENTRY_SIZE);
                    break;
                case LogPages.SMART:
                    smart(c, page);
                    break;
                case LogPages.FW_SLOT:
                    page.writeZero(LogPages.FW_SIZE);
                    page.setByte(LogPages.FW_AFI, 1);
                    page.setBytes(LogPages.FW_FRS1, padded(FIRMWARE, 8));
                    break;
                case LogPages.CHANGED_NS:
                    page.writeZero(LogPages.CHANGED_NS_SIZE);
                    break;
                case LogPages.CMD_EFFECTS:
                    effects(page);
                    break;
                case LogPages.DISCOVERY:
                    DiscoveryLog.write(c.registry(), c.hostNqn(), r.queue().localAddress(), page);
                    break;
                default:
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
            }
            int n = (int) len;
            ByteBuf b = r.replyBuffer(n);
            int at = b.writerIndex();
            b.writeZero(n);
            if (offset < page.readableBytes()) {
                int copy = (int) Math.min(n, page.readableBytes() - offset);
                b.setBytes(at, page, (int) offset, copy);
            }
            r.completeWithData(n);
        } finally {
            page.release();
        }
    }

    private static byte[] padded(String s, int size) {
        byte[] out = new byte[size];
        byte[] v = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < size; i++) {
            out[i] = i < v.length ? v[i] : (byte) ' ';
        }
        return out;
    }

    private static void smart(Controller c, ByteBuf page) {
        page.writeZero(LogPages.SMART_SIZE);
        page.setShortLE(LogPages.SMART_TEMPERATURE, 313); // 40 °C in kelvin
        page.setByte(LogPages.SMART_AVAIL_SPARE, 100);
        page.setByte(LogPages.SMART_SPARE_THRESH, 10);
        long[] io = c.registry().ioStats(); // reads, writes, read bytes, written bytes
        // Data units are thousands of 512-byte units, rounded up.
        page.setLongLE(LogPages.SMART_DATA_UNITS_READ, (io[2] / 512 + 999) / 1000);
        page.setLongLE(LogPages.SMART_DATA_UNITS_WRITTEN, (io[3] / 512 + 999) / 1000);
        page.setLongLE(LogPages.SMART_HOST_READS, io[0]);
        page.setLongLE(LogPages.SMART_HOST_WRITES, io[1]);
        page.setLongLE(LogPages.SMART_POWER_CYCLES, 1);
    }

    private static void effects(ByteBuf page) {
        page.writeZero(LogPages.EFFECTS_SIZE);
        int[] admin = {GET_LOG_PAGE, IDENTIFY, ABORT, SET_FEATURES, GET_FEATURES, ASYNC_EVENT, KEEP_ALIVE};
        for (int op : admin) {
            page.setIntLE(LogPages.EFFECTS_ACS + 4 * op, LogPages.EFFECTS_CSUPP);
        }
        page.setIntLE(LogPages.EFFECTS_IOCS + 4 * 0x00, LogPages.EFFECTS_CSUPP);
        page.setIntLE(LogPages.EFFECTS_IOCS + 4 * 0x02, LogPages.EFFECTS_CSUPP);
        page.setIntLE(LogPages.EFFECTS_IOCS + 4 * 0x01, LogPages.EFFECTS_CSUPP | LogPages.EFFECTS_LBCC);
        page.setIntLE(LogPages.EFFECTS_IOCS + 4 * 0x08, LogPages.EFFECTS_CSUPP | LogPages.EFFECTS_LBCC);
        page.setIntLE(LogPages.EFFECTS_IOCS + 4 * 0x09, LogPages.EFFECTS_CSUPP | LogPages.EFFECTS_LBCC);
    }

    // ------------------------------------------------------------------ features

    private static void setFeatures(Controller c, Request r, boolean disc) {
        int fid = r.cdw10 & 0xff;
        if ((r.cdw10 & 0x80000000) != 0) {
            r.complete(Status.FEATURE_NOT_SAVEABLE | Status.DNR);
            return;
        }
        if (disc && fid != Features.ASYNC_EVENT && fid != Features.KATO) {
            r.complete(Status.INVALID_FIELD | Status.DNR);
            return;
        }
        switch (fid) {
            case Features.NUM_QUEUES: {
                int nsqr = r.cdw11 & 0xffff;
                int ncqr = r.cdw11 >>> 16;
                if (nsqr == 0xffff || ncqr == 0xffff) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
                }
                int n = c.requestIoQueues(Math.min(nsqr, ncqr) + 1);
                r.complete(Status.SUCCESS, ((long) (n - 1) << 16) | (n - 1));
                return;
            }
            case Features.ASYNC_EVENT:
                c.asyncEventConfig(r.cdw11);
                r.complete(Status.SUCCESS);
                return;
            case Features.KATO:
                c.katoMs(r.cdw11);
                r.complete(Status.SUCCESS);
                return;
            case Features.VOLATILE_WC:
                if (!c.volatileWriteCachePresent()) {
                    r.complete(Status.INVALID_FIELD | Status.DNR);
                    return;
                }
                c.volatileWriteCache((r.cdw11 & 1) != 0);
                r.complete(Status.SUCCESS);
                return;
            default:
                r.complete(Status.INVALID_FIELD | Status.DNR);
        }
    }

    private static void getFeatures(Controller c, Request r, boolean disc) {
        int fid = r.cdw10 & 0xff;
        int sel = (r.cdw10 >>> 8) & 7;
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
