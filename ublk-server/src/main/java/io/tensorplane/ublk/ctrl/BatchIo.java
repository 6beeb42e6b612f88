package io.tensorplane.ublk.ctrl;

import org.agrona.UnsafeApi;

/**
 * The batched I/O commands of {@code UBLK_F_BATCH_IO} (Linux 7.x): {@code struct ublk_batch_io} (16 bytes, in a
 * 64-byte SQE's cmd area) and the element buffers it points to.
 *
 * <p>PREP_IO_CMDS and COMMIT_IO_CMDS name a buffer ({@code sqe->addr}, {@code sqe->len} bytes) of {@code nr_elem}
 * elements of {@code elem_bytes} each: {@code struct ublk_elem_header} (tag, buf_index, result; 8 bytes), then
 * the buffer address when {@link #F_HAS_BUF_ADDR} (per-tag buffers), then the zone-append LBA when
 * {@link #F_HAS_ZONE_LBA}. FETCH_IO_CMDS is multishot on a provided-buffer ring; each completion's
 * {@code res} bytes of that buffer are the 16-bit tags of requests that are ready.
 */
public final class BatchIo {
    private BatchIo() {
    }

    // struct ublk_batch_io
    public static final int SIZE = 16;
    public static final int Q_ID = 0;        // __u16
    public static final int FLAGS = 2;       // __u16 UBLK_BATCH_F_*
    public static final int NR_ELEM = 4;     // __u16
    public static final int ELEM_BYTES = 6;  // __u8

    public static final int F_HAS_ZONE_LBA = 1;
    public static final int F_HAS_BUF_ADDR = 1 << 1;
    public static final int F_AUTO_BUF_REG_FALLBACK = 1 << 2;

    // struct ublk_elem_header and what follows it
    public static final int ELEM_HEADER_SIZE = 8;
    public static final int ELEM_TAG = 0;        // __u16
    public static final int ELEM_BUF_INDEX = 2;  // __u16, with AUTO_BUF_REG
    public static final int ELEM_RESULT = 4;     // __s32, COMMIT only
    public static final int ELEM_BUF_ADDR = 8;   // __u64, with F_HAS_BUF_ADDR

    /** A fetched tag: two bytes each in the fetch buffer. */
    public static final int FETCH_ELEM_BYTES = 2;

    /** The element size the kernel expects for {@code flags}: the header, plus 8 bytes per optional field. */
    public static int elemBytes(int flags) {
        return ELEM_HEADER_SIZE + ((flags & F_HAS_BUF_ADDR) != 0 ? 8 : 0) + ((flags & F_HAS_ZONE_LBA) != 0 ? 8 : 0);
    }

    /** Writes the command header at {@code cmd} (an SQE's cmd area). */
    public static void putHeader(long cmd, int qId, int flags, int nrElem, int elemBytes) {
        UnsafeApi.putShort(cmd + Q_ID, (short) qId);
        UnsafeApi.putShort(cmd + FLAGS, (short) flags);
        UnsafeApi.putShort(cmd + NR_ELEM, (short) nrElem);
        UnsafeApi.putByte(cmd + ELEM_BYTES, (byte) elemBytes);
    }

    /**
     * Writes element {@code index} of a PREP or COMMIT buffer; {@code bufAddr} goes in only with
     * {@link #F_HAS_BUF_ADDR} in {@code flags}.
     */
    public static void putElem(long buf, int index, int flags, int tag, int bufIndex, int result, long bufAddr) {
        long e = buf + (long) index * elemBytes(flags);
        UnsafeApi.putShort(e + ELEM_TAG, (short) tag);
        UnsafeApi.putShort(e + ELEM_BUF_INDEX, (short) bufIndex);
        UnsafeApi.putInt(e + ELEM_RESULT, result);
        if ((flags & F_HAS_BUF_ADDR) != 0) {
            UnsafeApi.putLong(e + ELEM_BUF_ADDR, bufAddr);
        }
    }

    /** The tag of element {@code index} of a PREP or COMMIT buffer. */
    public static int elemTag(long buf, int index, int flags) {
        return UnsafeApi.getShort(buf + (long) index * elemBytes(flags) + ELEM_TAG) & 0xffff;
    }

    /** The tag at byte {@code offset} of a fetch buffer. */
    public static int fetchedTag(long fetchBuf, int offset) {
        return UnsafeApi.getShort(fetchBuf + offset) & 0xffff;
    }
}
