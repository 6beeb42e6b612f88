package io.tensorplane.ublk.queue;

import java.util.Arrays;

/**
 * The shared-memory regions of a device (UBLK_F_SHMEM_ZC) as the server has them mapped, by the index the kernel gave
 * each at REG_BUF. Queue threads look up a request's data here without a lock or an allocation: the table is an
 * immutable array replaced whole on the rare register and unregister.
 */
public final class SharedRegions {
    /** [2 i] = base address of region i in this process (0: none), [2 i + 1] = its length. */
    private volatile long[] table = new long[0];

    /** Region {@code index} is mapped at {@code base} for {@code length} bytes. */
    public synchronized void put(int index, long base, long length) {
        long[] t = Arrays.copyOf(table, Math.max(table.length, 2 * index + 2));
        t[2 * index] = base;
        t[2 * index + 1] = length;
        table = t;
    }

    /** Region {@code index} is gone (after UNREG_BUF: no request refers to it any more). */
    public synchronized void remove(int index) {
        if (2 * index < table.length) {
            long[] t = table.clone();
            t[2 * index] = 0;
            t[2 * index + 1] = 0;
            table = t;
        }
    }

    /** Where bytes {@code [offset, offset + len)} of region {@code index} are in this process, or 0 when not inside one. */
    public long address(int index, long offset, long len) {
        long[] t = table;
        int i = 2 * index;
        if (i + 1 >= t.length || t[i] == 0 || offset < 0 || len < 0 || offset + len > t[i + 1]) {
            return 0;
        }
        return t[i] + offset;
    }
}
