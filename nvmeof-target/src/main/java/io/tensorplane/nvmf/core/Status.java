package io.tensorplane.nvmf.core;

import io.tensorplane.engine.Errno;

/**
 * NVMe status values as the kernel spells them (include/linux/nvme.h): {@code SCT << 8 | SC}, plus
 * {@link #DNR}. The completion's status field carries {@code status << 1} (bit 0 is the phase tag).
 */
public final class Status {
    public static final int SUCCESS = 0x0;
    public static final int INVALID_OPCODE = 0x1;
    public static final int INVALID_FIELD = 0x2;
    public static final int CMDID_CONFLICT = 0x3;
    public static final int DATA_XFER_ERROR = 0x4;
    public static final int INTERNAL = 0x6;
    public static final int ABORT_REQ = 0x7;
    public static final int ABORT_QUEUE = 0x8;
    public static final int INVALID_NS = 0xb;
    public static final int CMD_SEQ_ERROR = 0xc;
    public static final int SGL_INVALID_DATA = 0xf;
    public static final int SGL_INVALID_TYPE = 0x11;
    public static final int SGL_INVALID_OFFSET = 0x16;
    public static final int NS_WRITE_PROTECTED = 0x20;
    public static final int TRANSIENT_TR_ERR = 0x22;
    public static final int LBA_RANGE = 0x80;
    public static final int CAP_EXCEEDED = 0x81;
    public static final int NS_NOT_READY = 0x82;

    public static final int ASYNC_LIMIT = 0x105;
    public static final int INVALID_LOG_PAGE = 0x109;
    public static final int FEATURE_NOT_SAVEABLE = 0x10d;
    public static final int FEATURE_NOT_CHANGEABLE = 0x10e;
    public static final int CONNECT_FORMAT = 0x180;
    public static final int CONNECT_CTRL_BUSY = 0x181;
    public static final int CONNECT_INVALID_PARAM = 0x182;
    public static final int CONNECT_RESTART_DISC = 0x183;
    public static final int CONNECT_INVALID_HOST = 0x184;

    public static final int WRITE_FAULT = 0x280;
    public static final int READ_ERROR = 0x281;
    public static final int ACCESS_DENIED = 0x286;

    /** Do Not Retry. */
    public static final int DNR = 0x4000;

    private Status() {
    }

    /** Maps a negative errno from the engine to an NVMe status for a read or a write. */
    public static int fromErrno(int negErrno, boolean write) {
        switch (-negErrno) {
            case Errno.EINVAL: return INVALID_FIELD | DNR;
            case Errno.ENOSPC: return CAP_EXCEEDED | DNR;
            case Errno.EROFS: return NS_WRITE_PROTECTED | DNR;
            case Errno.EOPNOTSUPP: return INVALID_OPCODE | DNR;
            case Errno.ECANCELED: return ABORT_REQ;
            case Errno.EAGAIN:
            case Errno.ENOMEM:
            case Errno.EBUSY: return NS_NOT_READY;
            case Errno.EIO: return write ? WRITE_FAULT : READ_ERROR;
            default: return INTERNAL;
        }
    }

    public static String describe(int status) {
        return String.format("0x%03x%s", status & 0x7ff, (status & DNR) != 0 ? " (DNR)" : "");
    }
}
