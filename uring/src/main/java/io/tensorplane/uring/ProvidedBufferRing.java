package io.tensorplane.uring;

import static io.tensorplane.uring.IoUringLayout.*;

import org.agrona.UnsafeApi;

/**
 * A provided-buffer ring ({@code IORING_REGISTER_PBUF_RING}): memory the kernel picks buffers from for commands
 * submitted with {@link IoUringLayout#IOSQE_BUFFER_SELECT} and this ring's group, a multishot command filling one
 * buffer after another. The ring lives in memory of the caller's (one page-aligned page holds 256 entries); entries
 * are written in place and published by a release store of the ring's 16-bit tail.
 *
 * <p>Confined to the thread that drives the io_uring, like {@link IoUring}; nothing here allocates after
 * {@link #register}.
 */
public final class ProvidedBufferRing {
    private final long ring;
    private final int mask;
    private final int group;
    private short tail;

    private ProvidedBufferRing(long ring, int entries, int group) {
        this.ring = ring;
        this.mask = entries - 1;
        this.group = group;
    }

    /**
     * Registers {@code entries} (a power of two) buffer slots at {@code ringMemory} (page-aligned, zeroed,
     * {@code entries * 16} bytes) as buffer group {@code group} of {@code uring}.
     *
     * @param flags {@code IOU_PBUF_RING_*}, e.g. {@link IoUringLayout#IOU_PBUF_RING_INC}
     * @throws ErrnoException when the kernel refuses (EINVAL before Linux 5.19, or for INC before 6.12)
     */
    public static ProvidedBufferRing register(IoUring uring, long ringMemory, int entries, int group, int flags) {
        if (Integer.bitCount(entries) != 1 || entries > 32768) {
            throw new IllegalArgumentException("a provided-buffer ring has a power-of-two number of entries up to 32768: " + entries);
        }
        long reg = UnsafeApi.allocateMemory(BUF_REG_SIZE);
        try {
            UnsafeApi.setMemory(reg, BUF_REG_SIZE, (byte) 0);
            UnsafeApi.putLong(reg + BUF_REG_RING_ADDR, ringMemory);
            UnsafeApi.putInt(reg + BUF_REG_RING_ENTRIES, entries);
            UnsafeApi.putShort(reg + BUF_REG_BGID, (short) group);
            UnsafeApi.putShort(reg + BUF_REG_FLAGS, (short) flags);
            if (LibC.ioUringRegister(uring.fd(), IORING_REGISTER_PBUF_RING, reg, 1) < 0) {
                throw new ErrnoException("io_uring_register(PBUF_RING, group " + group + ")", LibC.errno());
            }
        } finally {
            UnsafeApi.freeMemory(reg);
        }
        ProvidedBufferRing r = new ProvidedBufferRing(ringMemory, entries, group);
        r.tail = UnsafeApi.getShortAcquire(null, ringMemory + BUF_RING_TAIL);
        return r;
    }

    public int group() {
        return group;
    }

    /**
     * Puts buffer {@code bid} ({@code length} bytes at {@code address}) into the ring and publishes it. The entry's
     * last two bytes are not written: in entry 0 they are the ring's tail.
     */
    public void add(long address, int length, int bid) {
        long e = ring + (long) (tail & mask) * BUF_SIZE;
        UnsafeApi.putLong(e + BUF_ADDR, address);
        UnsafeApi.putInt(e + BUF_LEN, length);
        UnsafeApi.putShort(e + BUF_BID, (short) bid);
        tail++;
        // Release: the entry is visible to the kernel before the tail that hands it over.
        UnsafeApi.putShortRelease(null, ring + BUF_RING_TAIL, tail);
    }

    /** Memory a ring of {@code entries} needs: whole pages, as the kernel wants them. */
    public static long bytesFor(int entries, int pageSize) {
        long b = (long) entries * BUF_SIZE;
        return (b + pageSize - 1) / pageSize * pageSize;
    }
}
