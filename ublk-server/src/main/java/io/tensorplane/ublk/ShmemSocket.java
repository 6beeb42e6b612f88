package io.tensorplane.ublk;

import io.tensorplane.engine.Errno;
import io.tensorplane.uring.LibC;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.agrona.UnsafeApi;

/**
 * The Unix socket {@code <id>.shmem.sock} (beside the device's state file) on which cooperating applications hand
 * the server a shared-memory region for UBLK_F_SHMEM_ZC (docs/shmem.md): one line {@code region <bytes>\n} sent with
 * the region's descriptor (a memfd or hugetlbfs file) as SCM_RIGHTS, answered with {@code ok <index>\n} or
 * {@code error: <why>\n}. The region stays registered while the connection is open; when the client closes it (or
 * exits), the server unregisters and unmaps it. The JDK cannot pass descriptors, so this is sockets through
 * {@link LibC}; every {@code sendmsg}/{@code recvmsg} of the project is here.
 */
final class ShmemSocket implements AutoCloseable {
    private static final int MAX_LINE = 256;
    /** struct msghdr (x86_64 / aarch64): name, namelen, iov, iovlen, control, controllen, flags. */
    private static final int MSGHDR = 56, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32, MSG_CONTROLLEN = 40;
    /** struct cmsghdr: len (size_t), level, type, then the data; CMSG_LEN(4) = 20, CMSG_SPACE(4) = 24. */
    private static final int CMSG_LEN_FD = 20, CMSG_SPACE_FD = 24, CMSG_DATA = 16;
    /** struct sockaddr_un: sa_family_t (2 bytes) and 108 bytes of path. */
    private static final int SUN_SIZE = 110, SUN_PATH_MAX = 107;

    /** What the server does with a region a client handed over. */
    interface Regions {
        /**
         * Maps and registers the region; returns its index.
         *
         * @throws UblkException with the one line the client gets back
         */
        int attach(int fd, long bytes);

        /** The client is gone: unregister and unmap region {@code index}. */
        void detach(int index);
    }

    private final Path path;
    private final int listenFd;
    private final Regions regions;
    private final Thread acceptor;
    private final Set<Integer> clients = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private ShmemSocket(Path path, int listenFd, Regions regions, int id) {
        this.path = path;
        this.listenFd = listenFd;
        this.regions = regions;
        this.acceptor = new Thread(this::acceptLoop, "ublk" + id + "-shmem");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    static Path path(int id) {
        return ServerState.dir().resolve(id + ".shmem.sock");
    }

    /** Listens on {@code p} for clients of device {@code id}. */
    static ShmemSocket listen(Path p, int id, Regions regions) {
        try {
            Files.createDirectories(p.getParent());
            Files.deleteIfExists(p); // a dead server's
        } catch (java.io.IOException e) {
            throw new UblkException("cannot make " + p + ": " + e.getMessage());
        }
        int fd = LibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new UblkException("socket(AF_UNIX): " + LibC.strerror(LibC.errno()));
        }
        long sun = sockaddr(p);
        try {
            if (LibC.bind(fd, sun, SUN_SIZE) < 0 || LibC.listen(fd, 16) < 0) {
                int e = LibC.errno();
                LibC.close(fd);
                throw new UblkException("cannot listen on " + p + ": " + LibC.strerror(e));
            }
        } finally {
            UnsafeApi.freeMemory(sun);
        }
        return new ShmemSocket(p, fd, regions, id);
    }

    private static long sockaddr(Path p) {
        byte[] name = p.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > SUN_PATH_MAX) {
            throw new UblkException("socket path too long for AF_UNIX: " + p);
        }
        long sun = UnsafeApi.allocateMemory(SUN_SIZE);
        UnsafeApi.setMemory(sun, SUN_SIZE, (byte) 0);
        UnsafeApi.putShort(sun, (short) LibC.AF_UNIX);
        for (int i = 0; i < name.length; i++) {
            UnsafeApi.putByte(sun + 2 + i, name[i]);
        }
        return sun;
    }

    private void acceptLoop() {
        while (!closed) {
            int c = LibC.accept4(listenFd, 0, 0, LibC.SOCK_CLOEXEC);
            if (c < 0) {
                if (closed) {
                    return;
                }
                if (LibC.errno() == Errno.EINTR) {
                    continue;
                }
                return; // the listening socket is broken: no new clients, the registered ones stay
            }
            clients.add(c);
            Thread t = new Thread(() -> serve(c), Thread.currentThread().getName() + "-client");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** One client: its request, our reply, then its region stays until the connection ends. */
    private void serve(int c) {
        int index = -1;
        try {
            int[] fd = {-1};
            String line = receive(c, fd);
            String reply;
            try {
                long bytes = parse(line);
                if (fd[0] < 0) {
                    throw new UblkException("no descriptor came with '" + line + "': send the region's fd as SCM_RIGHTS");
                }
                index = regions.attach(fd[0], bytes);
                reply = "ok " + index;
            } catch (UblkException e) {
                reply = "error: " + e.getMessage();
            } finally {
                if (fd[0] >= 0) {
                    LibC.close(fd[0]); // the mapping keeps the region
                }
            }
            send(c, reply + "\n", -1);
            if (index >= 0) {
                awaitHangUp(c);
            }
        } finally {
            if (index >= 0) {
                regions.detach(index);
            }
            clients.remove(c);
            LibC.close(c);
            threads.remove(Thread.currentThread());
        }
    }

    private static long parse(String line) {
        String[] w = line.strip().split(" ");
        if (w.length != 2 || !w[0].equals("region")) {
            throw new UblkException("expected 'region <bytes>', got '" + line.strip() + "'");
        }
        try {
            return Long.parseLong(w[1]);
        } catch (NumberFormatException e) {
            throw new UblkException("expected 'region <bytes>', got '" + line.strip() + "'");
        }
    }

    /** Blocks until the peer closes (or close() shuts the connection down); what it sends is ignored. */
    private static void awaitHangUp(int c) {
        long b = UnsafeApi.allocateMemory(64);
        try {
            while (true) {
                long n = LibC.read(c, b, 64);
                if (n == 0 || (n < 0 && LibC.errno() != Errno.EINTR)) {
                    return;
                }
            }
        } finally {
            UnsafeApi.freeMemory(b);
        }
    }

    /**
     * Reads one line from {@code c}, and the descriptor that came with it (into {@code fd[0]}, else -1).
     * Returns what arrived when the peer closes before a newline.
     */
    static String receive(int c, int[] fd) {
        long mem = UnsafeApi.allocateMemory(MSGHDR + 16 + CMSG_SPACE_FD + MAX_LINE);
        long msg = mem, iov = mem + MSGHDR, cmsg = iov + 16, data = cmsg + CMSG_SPACE_FD;
        byte[] line = new byte[MAX_LINE];
        int len = 0;
        fd[0] = -1;
        try {
            while (len < MAX_LINE) {
                UnsafeApi.setMemory(msg, MSGHDR + 16 + CMSG_SPACE_FD, (byte) 0);
                UnsafeApi.putLong(iov, data);
                UnsafeApi.putLong(iov + 8, MAX_LINE - len);
                UnsafeApi.putLong(msg + MSG_IOV, iov);
                UnsafeApi.putLong(msg + MSG_IOVLEN, 1);
                UnsafeApi.putLong(msg + MSG_CONTROL, cmsg);
                UnsafeApi.putLong(msg + MSG_CONTROLLEN, CMSG_SPACE_FD);
                long n = LibC.recvmsg(c, msg, LibC.MSG_CMSG_CLOEXEC);
                if (n < 0 && LibC.errno() == Errno.EINTR) {
                    continue;
                }
                if (n <= 0) {
                    break;
                }
                if (UnsafeApi.getLong(msg + MSG_CONTROLLEN) >= CMSG_LEN_FD && UnsafeApi.getInt(cmsg + 8) == LibC.SOL_SOCKET
                        && UnsafeApi.getInt(cmsg + 12) == LibC.SCM_RIGHTS) {
                    if (fd[0] >= 0) {
                        LibC.close(fd[0]); // one descriptor per request: keep the last
                    }
                    fd[0] = UnsafeApi.getInt(cmsg + CMSG_DATA);
                }
                boolean end = false;
                for (int i = 0; i < n; i++) {
                    line[len++] = UnsafeApi.getByte(data + i);
                    end |= line[len - 1] == '\n';
                }
                if (end) {
                    break;
                }
            }
        } finally {
            UnsafeApi.freeMemory(mem);
        }
        return new String(line, 0, len, StandardCharsets.UTF_8).strip();
    }

    /** Sends {@code text} on {@code c}, with descriptor {@code fd} as SCM_RIGHTS unless it is negative. */
    static void send(int c, String text, int fd) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        long mem = UnsafeApi.allocateMemory(MSGHDR + 16 + CMSG_SPACE_FD + b.length);
        long msg = mem, iov = mem + MSGHDR, cmsg = iov + 16, data = cmsg + CMSG_SPACE_FD;
        try {
            UnsafeApi.setMemory(msg, MSGHDR + 16 + CMSG_SPACE_FD, (byte) 0);
            for (int i = 0; i < b.length; i++) {
                UnsafeApi.putByte(data + i, b[i]);
            }
            UnsafeApi.putLong(iov, data);
            UnsafeApi.putLong(iov + 8, b.length);
            UnsafeApi.putLong(msg + MSG_IOV, iov);
            UnsafeApi.putLong(msg + MSG_IOVLEN, 1);
            if (fd >= 0) {
                UnsafeApi.putLong(cmsg, CMSG_LEN_FD);
                UnsafeApi.putInt(cmsg + 8, LibC.SOL_SOCKET);
                UnsafeApi.putInt(cmsg + 12, LibC.SCM_RIGHTS);
                UnsafeApi.putInt(cmsg + CMSG_DATA, fd);
                UnsafeApi.putLong(msg + MSG_CONTROL, cmsg);
                UnsafeApi.putLong(msg + MSG_CONTROLLEN, CMSG_SPACE_FD);
            }
            long n;
            do {
                n = LibC.sendmsg(c, msg, 0);
            } while (n < 0 && LibC.errno() == Errno.EINTR);
            if (n != b.length) {
                throw new UblkException("sendmsg on the shared-memory socket: "
                        + (n < 0 ? LibC.strerror(LibC.errno()) : "short write"));
            }
        } finally {
            UnsafeApi.freeMemory(mem);
        }
    }

    /** Connects to the socket at {@code p}; returns the descriptor. */
    static int connect(Path p) {
        int fd = LibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new UblkException("socket(AF_UNIX): " + LibC.strerror(LibC.errno()));
        }
        long sun = sockaddr(p);
        try {
            if (LibC.connect(fd, sun, SUN_SIZE) < 0) {
                int e = LibC.errno();
                LibC.close(fd);
                throw new UblkException("cannot reach " + p + ": " + LibC.strerror(e)
                        + " (is the device served with 'ublk add --shmem'?)");
            }
        } finally {
            UnsafeApi.freeMemory(sun);
        }
        return fd;
    }

    /** Stops taking clients and ends every connection, whose regions are unregistered and unmapped before this returns. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LibC.shutdown(listenFd, LibC.SHUT_RDWR); // wakes accept4
        for (int c : clients) {
            LibC.shutdown(c, LibC.SHUT_RDWR); // wakes the client's read: it detaches its region
        }
        try {
            acceptor.join(5000);
            for (Thread t : threads) {
                t.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LibC.close(listenFd);
        try {
            Files.deleteIfExists(path);
        } catch (java.io.IOException e) {
            // going away anyway
        }
    }
}
