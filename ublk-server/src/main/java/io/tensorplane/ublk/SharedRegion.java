package io.tensorplane.ublk;

import io.tensorplane.uring.LibC;
import java.nio.file.Path;

/**
 * An application's I/O buffers in memory the ublk server shares (UBLK_F_SHMEM_ZC, a device added with
 * {@code ublk add --shmem}): a sealed memfd, mapped here and handed to the server, which maps the same pages and
 * registers them with the kernel. An O_DIRECT read or write on {@code /dev/ublkbN} whose buffer lies inside the region
 * then reaches the server as an offset in it: no byte is copied between the application and the server. Closing the
 * region (or exiting) ends the registration. The protocol is in docs/shmem.md; docs/examples/shmem-client.c does
 * the same in C.
 *
 * <pre>{@code
 * try (SharedRegion r = SharedRegion.create(0, 4 << 20)) {
 *     int fd = LibC.open("/dev/ublkb0", LibC.O_RDWR | LibC.O_DIRECT, 0);
 *     r.pwrite(fd, 0, 1 << 20, 0);   // region bytes [0, 1 MiB) to the disk's first MiB
 *     r.pread(fd, 1 << 20, 1 << 20, 0);
 * }
 * }</pre>
 */
public final class SharedRegion implements AutoCloseable {
    private final int memfd;
    private final int socket;
    private final long address;
    private final long size;
    private final int index;
    private boolean closed;

    private SharedRegion(int memfd, int socket, long address, long size, int index) {
        this.memfd = memfd;
        this.socket = socket;
        this.address = address;
        this.size = size;
        this.index = index;
    }

    /** A region of {@code bytes} (a multiple of 4096) shared with the server of {@code /dev/ublkb<deviceId>}. */
    public static SharedRegion create(int deviceId, long bytes) {
        return create(ShmemSocket.path(deviceId), bytes);
    }

    /** A region of {@code bytes} handed to the server listening on {@code socketPath}. */
    public static SharedRegion create(Path socketPath, long bytes) {
        int memfd = LibC.memfd_create("tensorplane-shmem", LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        if (memfd < 0) {
            throw new UblkException("memfd_create: " + LibC.strerror(LibC.errno()));
        }
        long addr = LibC.MAP_FAILED;
        int sock = -1;
        try {
            if (LibC.ftruncate(memfd, bytes) < 0 || LibC.fcntl(memfd, LibC.F_ADD_SEALS, LibC.F_SEAL_SHRINK) < 0) {
                throw new UblkException("cannot size and seal a memfd of " + bytes + " bytes: " + LibC.strerror(LibC.errno()));
            }
            addr = LibC.mmap(0, bytes, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, memfd, 0);
            if (addr == LibC.MAP_FAILED) {
                throw new UblkException("cannot map a memfd of " + bytes + " bytes: " + LibC.strerror(LibC.errno()));
            }
            sock = ShmemSocket.connect(socketPath);
            ShmemSocket.send(sock, "region " + bytes + "\n", memfd);
            String reply = ShmemSocket.receive(sock, new int[1]);
            if (!reply.startsWith("ok ")) {
                throw new UblkException("the server refused the region: " + (reply.isEmpty() ? "no reply" : reply));
            }
            return new SharedRegion(memfd, sock, addr, bytes, Integer.parseInt(reply.substring(3).strip()));
        } catch (RuntimeException e) {
            if (sock >= 0) {
                LibC.close(sock);
            }
            if (addr != LibC.MAP_FAILED) {
                LibC.munmap(addr, bytes);
            }
            LibC.close(memfd);
            throw e;
        }
    }

    /** Where the region starts in this process (page-aligned, as O_DIRECT wants). */
    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    /** The index the kernel gave the region (what UBLK_IO_F_SHMEM_ZC requests name). */
    public int index() {
        return index;
    }

    /** {@code pread(fd, region + regionOffset, len, deviceOffset)}: bytes read, or a negative errno. */
    public long pread(int fd, long regionOffset, int len, long deviceOffset) {
        check(regionOffset, len);
        long n = LibC.pread(fd, address + regionOffset, len, deviceOffset);
        return n < 0 ? -LibC.errno() : n;
    }

    /** {@code pwrite(fd, region + regionOffset, len, deviceOffset)}: bytes written, or a negative errno. */
    public long pwrite(int fd, long regionOffset, int len, long deviceOffset) {
        check(regionOffset, len);
        long n = LibC.pwrite(fd, address + regionOffset, len, deviceOffset);
        return n < 0 ? -LibC.errno() : n;
    }

    private void check(long regionOffset, int len) {
        if (closed || regionOffset < 0 || len < 0 || regionOffset + len > size) {
            throw new IllegalArgumentException(closed ? "the region is closed"
                    : "[" + regionOffset + ", " + (regionOffset + len) + ") is outside the region of " + size + " bytes");
        }
    }

    /** Ends the registration (the server unregisters and unmaps its side) and unmaps this side. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibC.close(socket);
        LibC.munmap(address, size);
        LibC.close(memfd);
    }
}
