package io.tensorplane.ublk.ctrl;

/**
 * {@code struct ublksrv_io_desc} (24 bytes): one per tag in the read-only array the server maps
 * from {@code /dev/ublkcN}; the kernel fills it before completing a FETCH.
 */
public final class IoDesc {
    private IoDesc() {
    }

    public static final int SIZE = 24;
    public static final int OP_FLAGS = 0;      // __u32: op in bits 0-7, flags in 8-31
    public static final int NR_SECTORS = 4;    // __u32 (nr_zones for REPORT_ZONES)
    public static final int START_SECTOR = 8;  // __u64
    public static final int ADDR = 16;         // __u64

    /** mmap offset of queue {@code qId}'s descriptor array. */
    public static long mmapOffset(int qId, int pageSize) {
        long perQueue = roundUp((long) UblkAbi.UBLK_MAX_QUEUE_DEPTH * SIZE, pageSize);
        return UblkAbi.UBLKSRV_CMD_BUF_OFFSET + qId * perQueue;
    }

    /** mmap length of a queue's descriptor array for {@code depth} tags. */
    public static long mmapLength(int depth, int pageSize) {
        return roundUp((long) depth * SIZE, pageSize);
    }

    static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }

    /** Offset for pread/pwrite on {@code /dev/ublkcN} to reach request (qId, tag)'s data (USER_COPY). */
    public static long userCopyOffset(int qId, int tag) {
        return UblkAbi.UBLKSRV_IO_BUF_OFFSET + ((long) qId << UblkAbi.UBLK_QID_OFF) + ((long) tag << UblkAbi.UBLK_TAG_OFF);
    }
}
