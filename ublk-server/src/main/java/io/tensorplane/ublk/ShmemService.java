package io.tensorplane.ublk;

import io.tensorplane.ublk.ctrl.UblkControl;
import io.tensorplane.ublk.queue.SharedRegions;
import io.tensorplane.uring.LibC;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's side of UBLK_F_SHMEM_ZC: a region a client handed over on the {@link ShmemSocket} is mapped
 * MAP_SHARED, registered with REG_BUF and published to the queues ({@link SharedRegions}); when the client goes (or
 * the device does) it is unregistered (UNREG_BUF waits for the requests in flight) and unmapped.
 */
final class ShmemService implements ShmemSocket.Regions, AutoCloseable {
    /** The kernel's limit on one buffer (UBLK_SHMEM_BUF_SIZE_MAX by default): the offset in addr has 32 bits. */
    static final long MAX_REGION = 1L << 32;
    private static final long PAGE = 4096;

    private final int devId;
    private final SharedRegions regions;
    private final UblkControl ctrl = UblkControl.open();
    /** index -> {base, length} */
    private final Map<Integer, long[]> mapped = new ConcurrentHashMap<>();

    ShmemService(int devId, SharedRegions regions) {
        this.devId = devId;
        this.regions = regions;
    }

    @Override
    public int attach(int fd, long bytes) {
        if (bytes <= 0 || bytes % PAGE != 0 || bytes > MAX_REGION) {
            throw new UblkException("a region must be a positive multiple of " + PAGE + " bytes, at most 4 GiB; got " + bytes);
        }
        long end = LibC.lseek(fd, 0, LibC.SEEK_END);
        if (end < bytes) {
            throw new UblkException("the file is " + end + " bytes, smaller than the region of " + bytes + " (ftruncate it first)");
        }
        int seals = LibC.fcntl(fd, LibC.F_GET_SEALS, 0);
        if (seals >= 0 && (seals & LibC.F_SEAL_SHRINK) == 0) {
            // a memfd that could shrink under the server's mapping would fault the server on its next access
            throw new UblkException("seal the memfd against shrinking first (F_ADD_SEALS F_SEAL_SHRINK;"
                    + " memfd_create with MFD_ALLOW_SEALING)");
        }
        long base = LibC.mmap(0, bytes, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, fd, 0);
        if (base == LibC.MAP_FAILED) {
            throw new UblkException("cannot map the region: " + LibC.strerror(LibC.errno()));
        }
        int index = ctrl.registerBuffer(devId, base, bytes);
        if (index < 0) {
            LibC.munmap(base, bytes);
            throw new UblkException("REG_BUF on ublk device " + devId + " failed: " + LibC.strerror(-index));
        }
        mapped.put(index, new long[] {base, bytes});
        regions.put(index, base, bytes);
        return index;
    }

    @Override
    public void detach(int index) {
        long[] m = mapped.remove(index);
        if (m == null) {
            return;
        }
        // after UNREG_BUF no request refers to the region: then the queues forget it and it can be unmapped
        ctrl.unregisterBuffer(devId, index);
        regions.remove(index);
        LibC.munmap(m[0], m[1]);
    }

    /** Regions registered now. */
    int count() {
        return mapped.size();
    }

    @Override
    public void close() {
        for (Integer index : mapped.keySet()) {
            detach(index);
        }
        ctrl.close();
    }
}
