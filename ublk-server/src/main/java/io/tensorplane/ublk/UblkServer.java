package io.tensorplane.ublk;

import io.tensorplane.engine.Errno;
import static io.tensorplane.ublk.ctrl.UblkAbi.*;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.Capabilities;
import io.tensorplane.ublk.ctrl.DevInfo;
import io.tensorplane.ublk.ctrl.Params;
import io.tensorplane.ublk.ctrl.UblkControl;
import io.tensorplane.ublk.queue.Copy;
import io.tensorplane.ublk.queue.SharedRegions;
import io.tensorplane.ublk.queue.UblkQueue;
import io.tensorplane.uring.LibC;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.UnsafeApi;

/**
 * One engine device served as {@code /dev/ublkbN}: ADD_DEV, SET_PARAMS, the queue threads,
 * START_DEV; and the way back: STOP_DEV, queue threads end on ABORT, DEL_DEV.
 */
public final class UblkServer implements AutoCloseable {
    /** The largest I/O the kernel sends us (and the size of each per-tag buffer). */
    public static final int DEFAULT_MAX_IO_BYTES = 512 * 1024;

    /** How to move data between requests and the backend. */
    public enum CopyMode {
        /**
         * Zero copy where the kernel and the backend allow it, else per-tag buffers: the kernel copies into them as
         * part of the fetch and commit commands the queue sends anyway, where user copy costs a pread or pwrite per
         * I/O (at QD128 on a file backend over null_blk: 22-49 % more IOPS on Linux 7.3, docs/file.md).
         */
        AUTO,
        /**
         * Zero copy: the backend reads and writes the request's own pages, registered in the queue's ring by the kernel
         * (UBLK_F_SUPPORT_ZERO_COPY + UBLK_F_AUTO_BUF_REG, Linux 6.16+; a backend on io_uring on the queue's ring).
         */
        ZERO,
        /** pread/pwrite on /dev/ublkcN (UBLK_F_USER_COPY, Linux 6.5+). */
        USER,
        /** The kernel copies into per-tag buffers whose addresses go with each command. */
        BUFFER
    }

    /** How a queue exchanges requests with the kernel. */
    public enum BatchMode {
        /**
         * The faster of the two as measured: one command per tag. Batched commands were not faster on {@code null} in
         * the test bed (Linux 7.3, same run: QD1 103.8 us against 99.2 us, QD128 80.4 K IOPS against 83.9 K; null_blk
         * 7.9 us and 100 K; docs/ublk.md), so {@code auto} does not take them.
         */
        AUTO,
        /** Batched commands (UBLK_F_BATCH_IO, Linux 7.x): PREP/COMMIT/FETCH_IO_CMDS, many tags per command. */
        ON,
        /** One FETCH_REQ per tag, then COMMIT_AND_FETCH_REQ per request. */
        OFF
    }

    /** What to serve and how. */
    public static final class Config {
        public int id = -1;
        public int queues = 1;
        public int depth = 128;
        public int blockSize = 0; // 0: the backend's
        public CopyMode copyMode = CopyMode.AUTO;
        public BatchMode batchMode = BatchMode.AUTO;
        public long spinMicros = 500;
        public int maxIoBytes = DEFAULT_MAX_IO_BYTES;
        public boolean pin = true;
        /**
         * The disk's I/O scheduler, set after START_DEV; null keeps the kernel's choice. The kernel gives a
         * single-queue disk mq-deadline, whose lock and sorting cost the submitting CPU a fifth of its
         * IOPS at QD128 in the test bed; the backends reorder nothing, so {@code none} is the default.
         */
        public String ioScheduler = "none";
        /** COOP_TASKRUN + TASKRUN_FLAG on the queue rings: no interrupt per request. */
        public boolean coopTaskrun = true;
        /** Ask for UBLK_F_USER_RECOVERY: if the server dies the disk stays (quiesced) until 'ublk recover'. */
        public boolean recoverable = false;
        /** Take over the existing, quiesced device {@link #id} instead of adding one. */
        public boolean recover = false;
        /**
         * Register each queue's I/O buffers with its ring, so that a backend on the ring reads and writes
         * them as fixed buffers (no page pinning per I/O). Pins depth x max I/O size per queue; where the
         * kernel refuses (RLIMIT_MEMLOCK), plain buffers are used.
         */
        public boolean fixedBuffers = true;
        /**
         * Lend each queue's ring to the backend (one system call per loop for commits and backend I/O); false
         * gives an io_uring backend a ring of its own, which the queue watches through its descriptor.
         */
        public boolean lendRing = true;
        /**
         * Test aid for zero copy: name a buffer slot the kernel cannot use, so that every request arrives with
         * UBLK_IO_F_NEED_REG_BUF and is served through the by-hand registration (the fallback path).
         */
        public boolean forceBufRegFallback = false;
        /**
         * Shared-memory zero copy (UBLK_F_SHMEM_ZC, Linux 7.1+): cooperating applications hand the server memfd or
         * hugetlbfs regions over {@link ShmemSocket}; their O_DIRECT requests on the disk arrive as an offset in one
         * of them and are served from the server's mapping of it, with no copy.
         */
        public boolean shmem = false;
    }

    /**
     * The data movement beside shared-memory zero copy: the requests that match a region need none, the rest take
     * per-tag buffers or user copy ({@code auto} means buffers here).
     *
     * @throws UblkException on a kernel without UBLK_F_SHMEM_ZC, or with {@code --copy zero}
     */
    static Copy withShmem(Copy chosen, CopyMode mode, long features) {
        if ((features & UBLK_F_SHMEM_ZC) == 0) {
            throw new UblkException("this kernel's ublk driver has no shared-memory zero copy (UBLK_F_SHMEM_ZC, Linux 7.1+);"
                    + " add the device without --shmem");
        }
        if (mode == CopyMode.ZERO) {
            throw new UblkException("--shmem goes with --copy auto, buffer or user, not zero");
        }
        return chosen == Copy.ZERO ? Copy.BUFFER : chosen;
    }

    /** Zero copy as this server does it: both flags (the by-hand fallback needs SUPPORT_ZERO_COPY). */
    static final long ZERO_COPY_FLAGS = UBLK_F_SUPPORT_ZERO_COPY | UBLK_F_AUTO_BUF_REG;

    /**
     * The data movement for {@code mode}, given the kernel's features and whether the backend can read and write
     * registered buffers on the queue's ring.
     *
     * @throws UblkException for a mode the kernel or the backend cannot do, saying which to use instead
     */
    static Copy chooseCopy(CopyMode mode, long features, boolean backendZeroCopy, String backend) {
        boolean kernelZero = (features & ZERO_COPY_FLAGS) == ZERO_COPY_FLAGS;
        boolean kernelUser = (features & UBLK_F_USER_COPY) != 0;
        switch (mode) {
            case ZERO:
                if (!kernelZero) {
                    throw new UblkException("this kernel's ublk driver has no zero copy with automatic buffer registration"
                            + " (SUPPORT_ZERO_COPY + AUTO_BUF_REG, Linux 6.16+); use --copy buffer");
                }
                if (!backendZeroCopy) {
                    throw new UblkException("backend '" + backend + "' needs the data in memory: zero copy needs the file backend"
                            + " on io_uring with --backend-ring shared (no latency or fault emulation); use --copy buffer");
                }
                return Copy.ZERO;
            case USER:
                if (!kernelUser) {
                    throw new UblkException("this kernel's ublk driver has no USER_COPY (Linux 6.5+); use --copy buffer");
                }
                return Copy.USER;
            case BUFFER:
                return Copy.BUFFER;
            default:
                return kernelZero && backendZeroCopy ? Copy.ZERO : Copy.BUFFER;
        }
    }

    /**
     * Whether the queues use batched commands, given the kernel's features, the data movement and recoverability.
     * Zero copy and user recovery are not combined with batched commands by this server (the kernel allows both;
     * neither is implemented and proven here), so {@code on} refuses them; {@code auto} is one command per tag
     * (see {@link BatchMode#AUTO}) on every kernel.
     *
     * @throws UblkException for {@code on} where it cannot be had, saying what to use instead
     */
    static boolean chooseBatch(BatchMode mode, long features, Copy copy, boolean recoverable) {
        boolean kernel = (features & UBLK_F_BATCH_IO) != 0;
        switch (mode) {
            case ON:
                if (!kernel) {
                    throw new UblkException("this kernel's ublk driver has no batched commands (BATCH_IO, Linux 7.x); use --batch off");
                }
                if (copy == Copy.ZERO) {
                    throw new UblkException("batched commands do not go with zero copy in this server; use --copy buffer or --batch off");
                }
                if (recoverable) {
                    throw new UblkException("batched commands do not go with --recoverable in this server; use --batch off");
                }
                return true;
            case OFF:
                return false;
            default:
                return false;
        }
    }

    /** The data movement of an existing device, from the flags it was created with. */
    static Copy copyOf(long flags) {
        return (flags & UBLK_F_SUPPORT_ZERO_COPY) != 0 ? Copy.ZERO : (flags & UBLK_F_USER_COPY) != 0 ? Copy.USER : Copy.BUFFER;
    }

    /** The ADD_DEV flags of a data movement. */
    static long flagsOf(Copy copy) {
        return copy == Copy.ZERO ? ZERO_COPY_FLAGS : copy == Copy.USER ? UBLK_F_USER_COPY : 0;
    }

    /** How a device's queues talk to the kernel, as {@code ublk list} and the state JSON name it. */
    static String commandsOf(long flags) {
        return (flags & UBLK_F_BATCH_IO) != 0 ? "batch" : "per-tag";
    }

    private final BlockDevice device;
    private final Config config;
    private final UblkControl ctrl;
    private final DevInfo info;
    private final Copy copy;
    private final boolean batch;
    private final int charFd;
    private final UblkQueue[] queues;
    private final Thread[] threads;
    private final long cpuMasks;
    private boolean closed;
    /** Shared-memory zero copy: the regions clients handed over, and the socket they come by (or null). */
    private ShmemService shmem;
    private ShmemSocket shmemSocket;
    /** 'ublk upgrade' quiesced the disk for a new server: close() lets go of it instead of deleting it. */
    private volatile boolean handingOver;

    private UblkServer(BlockDevice device, Config config, UblkControl ctrl, DevInfo info, Copy copy, boolean batch,
                       int charFd, UblkQueue[] queues, Thread[] threads, long cpuMasks) {
        this.device = device;
        this.config = config;
        this.ctrl = ctrl;
        this.info = info;
        this.copy = copy;
        this.batch = batch;
        this.charFd = charFd;
        this.queues = queues;
        this.threads = threads;
        this.cpuMasks = cpuMasks;
    }

    /**
     * Creates the device and starts serving it; returns once {@code /dev/ublkbN} is live.
     * On failure everything created so far is removed again.
     */
    public static UblkServer start(BlockDevice device, Config config) {
        UblkControl ctrl = UblkControl.open();
        long features = ctrl.features();
        boolean backendZeroCopy = config.lendRing && device.offersRegisteredBufferIo();
        Copy copy;
        boolean batch;
        try {
            copy = chooseCopy(config.copyMode, features, backendZeroCopy, device.spec());
            if (config.shmem && !config.recover) {
                copy = withShmem(copy, config.copyMode, features);
            }
            batch = !config.recover && chooseBatch(config.batchMode, features, copy, config.recoverable);
        } catch (UblkException e) {
            ctrl.close();
            throw e;
        }
        if (config.queues < 1 || config.queues > UBLK_MAX_NR_QUEUES) {
            ctrl.close();
            throw new UblkException("--queues must be 1.." + UBLK_MAX_NR_QUEUES + " (the kernel then limits it to the number of CPUs)");
        }
        if (config.depth < 1 || config.depth > UBLK_MAX_QUEUE_DEPTH) {
            ctrl.close();
            throw new UblkException("--depth must be 1.." + UBLK_MAX_QUEUE_DEPTH);
        }
        DevInfo info;
        if (config.recover) {
            info = beginRecovery(ctrl, device, config);
        } else {
            DevInfo want = new DevInfo();
            want.nrHwQueues = config.queues;
            want.queueDepth = config.depth;
            want.maxIoBufBytes = config.maxIoBytes;
            want.devId = config.id;
            want.ublksrvPid = LibC.getpid();
            // QUIESCE (it needs USER_RECOVERY) lets 'ublk upgrade' hand the disk to a new server with nothing in flight
            want.flags = flagsOf(copy) | (batch ? UBLK_F_BATCH_IO : 0) | (config.shmem ? UBLK_F_SHMEM_ZC : 0)
                    | (config.recoverable ? UBLK_F_USER_RECOVERY | (features & UBLK_F_QUIESCE) : 0);
            try {
                info = ctrl.addDevice(want);
            } catch (RuntimeException e) {
                ctrl.close();
                throw e;
            }
        }
        if (config.recover) {
            // The device keeps the data movement it was created with.
            copy = copyOf(info.flags);
            batch = (info.flags & UBLK_F_BATCH_IO) != 0;
            if (copy == Copy.ZERO && !backendZeroCopy) {
                ctrl.close();
                throw new UblkException("ublk device " + info.devId + " was created with zero copy: recover it with a backend that"
                        + " can take it (file: on io_uring, --backend-ring shared)");
            }
        }
        int id = info.devId;
        // a recovered device keeps shared-memory zero copy if it was made with it; its clients hand their regions again
        SharedRegions regions = (info.flags & UBLK_F_SHMEM_ZC) != 0 ? new SharedRegions() : null;
        int charFd = -1;
        long masks = 0;
        // The kernel may grant fewer queues than asked (at most one per possible CPU).
        int nq = info.nrHwQueues;
        UblkQueue[] queues = new UblkQueue[nq];
        Thread[] threads = new Thread[nq];
        try {
            int maxIo = Math.min(info.maxIoBufBytes, config.maxIoBytes);
            Params p = params(device, maxIo);
            if (!config.recover) {
                ctrl.setParams(id, p);
            }

            charFd = openCharDevice(id);
            CountDownLatch fetched = new CountDownLatch(nq);
            long spin = TimeUnit.MICROSECONDS.toNanos(config.spinMicros);
            if (config.pin) {
                masks = UnsafeApi.allocateMemory((long) UblkControl.CPU_MASK_BYTES * nq);
            }
            for (int q = 0; q < nq; q++) {
                long mask = 0;
                if (masks != 0) {
                    mask = masks + (long) q * UblkControl.CPU_MASK_BYTES;
                    if (ctrl.queueAffinity(id, q, mask) < 0) {
                        mask = 0;
                    }
                }
                queues[q] = new UblkQueue(id, q, config.depth, charFd, copy, config.forceBufRegFallback, maxIo, device, spin, mask,
                        config.coopTaskrun,
                        config.fixedBuffers, config.lendRing, batch, regions, fetched);
                threads[q] = new Thread(queues[q], "ublk" + id + "-q" + q);
                threads[q].setDaemon(true);
                threads[q].start();
            }
            fetched.await();
            for (UblkQueue q : queues) {
                if (q.failure() != null) {
                    throw new UblkException("queue " + q.queueId() + " of ublk device " + id + " failed to start: " + q.failure().getMessage());
                }
            }
            int r = config.recover ? ctrl.endUserRecovery(id, LibC.getpid()) : ctrl.startDevice(id, LibC.getpid());
            if (r < 0) {
                throw new UblkException((config.recover ? "END_USER_RECOVERY" : "START_DEV") + " on ublk device " + id
                        + " failed: " + LibC.strerror(-r), -r);
            }
            if (config.ioScheduler != null && !config.recover) {
                setIoScheduler(id, config.ioScheduler);
            }
            UblkServer server = new UblkServer(device, config, ctrl, info, copy, batch, charFd, queues, threads, masks);
            if (regions != null) {
                server.shmem = new ShmemService(id, regions);
                try {
                    server.shmemSocket = ShmemSocket.listen(ShmemSocket.path(id), id, server.shmem);
                } catch (RuntimeException e) {
                    server.shmem.close();
                    throw e;
                }
            }
            return server;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandon(ctrl, id, charFd, threads, masks);
            throw new UblkException("interrupted while starting ublk device " + id);
        } catch (RuntimeException e) {
            if (config.recover) {
                // Leave the device quiesced for another attempt; just let go of it.
                for (Thread t : threads) {
                    if (t != null) {
                        t.interrupt();
                    }
                }
                if (charFd >= 0) {
                    LibC.close(charFd);
                }
                ctrl.close();
            } else {
                abandon(ctrl, id, charFd, threads, masks);
            }
            throw e;
        }
    }

    /**
     * What the kernel is told about the disk: its geometry and what the backend can do (a write cache,
     * read-only, discard), from the backend's own {@link Capabilities}, so the disk promises nothing the
     * backend cannot keep (no discard on a file system that cannot punch holes).
     */
    static Params params(BlockDevice device, int maxIo) {
        Capabilities c = device.capabilities();
        int bs = device.blockSize();
        int shift = Integer.numberOfTrailingZeros(bs);
        Params p = new Params();
        // The discard parameters also carry write-zeroes, which every backend does: always sent.
        p.types = UBLK_PARAM_TYPE_BASIC | UBLK_PARAM_TYPE_DISCARD;
        p.attrs = (c.volatileWriteCache() ? UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA : 0) | (c.readOnly() ? UBLK_ATTR_READ_ONLY : 0);
        p.logicalBsShift = shift;
        p.physicalBsShift = Math.max(shift, 31 - Integer.numberOfLeadingZeros(c.physicalBlockSize()));
        p.ioOptShift = c.optimalIoBytes() > 0 ? 31 - Integer.numberOfLeadingZeros(c.optimalIoBytes()) : 12;
        p.ioMinShift = shift;
        p.maxSectors = maxIo >> 9;
        p.devSectors = device.sizeBytes() >> 9;
        // sector counts are 32-bit: at most 2^32 - 1 sectors, whole blocks
        long maxSectors = 0xffffffffL & ~((bs >> 9) - 1L);
        p.discardAlignment = 0;
        p.discardGranularity = c.discard() ? c.discardGranularity() : bs;
        p.maxDiscardSectors = c.discard() ? (int) Math.min(c.maxDiscardBytes() >> 9, maxSectors) : 0;
        p.maxDiscardSegments = c.discard() ? 1 : 0;
        p.maxWriteZeroesSectors = (int) Math.min(c.maxWriteZeroesBytes() >> 9, maxSectors);
        return p;
    }

    private static Path schedulerFile(int id) {
        return Path.of("/sys/block/ublkb" + id + "/queue/scheduler");
    }

    /** Selects the disk's I/O scheduler; a failure is reported on stderr and leaves the kernel's choice. */
    private static void setIoScheduler(int id, String name) {
        try {
            Files.writeString(schedulerFile(id), name);
        } catch (IOException | RuntimeException e) {
            System.err.println("ublk: could not set the I/O scheduler of /dev/ublkb" + id + " to '" + name + "' ("
                    + e.getMessage() + "); it keeps the kernel's choice");
        }
    }

    /** The disk's I/O scheduler as sysfs shows it selected (e.g. {@code none}), or "unknown". */
    public String ioScheduler() {
        try {
            String all = Files.readString(schedulerFile(id()));
            int a = all.indexOf('['), b = all.indexOf(']');
            return a >= 0 && b > a ? all.substring(a + 1, b) : all.trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** START_USER_RECOVERY on a device whose server died; checks the backend fits. */
    private static DevInfo beginRecovery(UblkControl ctrl, BlockDevice device, Config config) {
        int id = config.id;
        try {
            DevInfo info = ctrl.devInfo(id);
            if (info == null) {
                throw new UblkException("no ublk device " + id + " (see 'tensorplane ublk list')");
            }
            if ((info.flags & UBLK_F_USER_RECOVERY) == 0) {
                throw new UblkException("ublk device " + id + " was not created with --recoverable; delete it with 'ublk del --id " + id + "'");
            }
            Params p = ctrl.getParams(id);
            if (p != null && p.devSectors != device.sizeBytes() >> 9) {
                throw new UblkException("the backend has " + device.sizeBytes() + " bytes but ublk device " + id + " has " + (p.devSectors << 9));
            }
            if (p != null && (1 << p.logicalBsShift) != device.blockSize()) {
                throw new UblkException("the backend's block size is " + device.blockSize() + " but ublk device " + id + " uses " + (1 << p.logicalBsShift));
            }
            // The kernel accepts recovery once the old server is gone and the disk is quiesced.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                int r = ctrl.startUserRecovery(id);
                if (r >= 0) {
                    return ctrl.devInfo(id);
                }
                if (r != -Errno.EBUSY || System.nanoTime() > deadline) {
                    DevInfo now = ctrl.devInfo(id);
                    throw new UblkException("ublk device " + id + " cannot be recovered (state " + (now == null ? "gone" : stateName(now.state))
                            + (now != null && now.ublksrvPid > 0 ? ", server pid " + now.ublksrvPid : "") + "): " + LibC.strerror(-r), -r);
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ctrl.close();
            throw new UblkException("interrupted while recovering ublk device " + id);
        } catch (RuntimeException e) {
            ctrl.close();
            throw e;
        }
    }

    private static int openCharDevice(int id) {
        String path = "/dev/ublkc" + id;
        // udev (or devtmpfs) creates the node shortly after ADD_DEV.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            int fd = LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
            if (fd >= 0) {
                return fd;
            }
            int e = LibC.errno();
            if (e != Errno.ENOENT || System.nanoTime() > deadline) {
                throw new UblkException("cannot open " + path + ": " + LibC.strerror(e), e);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new UblkException("interrupted while waiting for " + path);
            }
        }
    }

    /** Undoes a half-made device: stop it (ends queue threads), close the char device, delete it. */
    private static void abandon(UblkControl ctrl, int id, int charFd, Thread[] threads, long masks) {
        ctrl.stopDevice(id);
        for (Thread t : threads) {
            if (t != null && t.isAlive()) {
                t.interrupt();
            }
        }
        if (charFd >= 0) {
            LibC.close(charFd);
        }
        joinAll(threads, 5000);
        ctrl.deleteDevice(id);
        ctrl.close();
        if (masks != 0) {
            UnsafeApi.freeMemory(masks);
        }
    }

    private static void joinAll(Thread[] threads, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        for (Thread t : threads) {
            if (t == null) {
                continue;
            }
            try {
                long left = deadline - System.currentTimeMillis();
                if (left > 0) {
                    t.join(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public int id() {
        return info.devId;
    }

    public String blockPath() {
        return "/dev/ublkb" + info.devId;
    }

    public int queues() {
        return queues.length;
    }

    public int depth() {
        return info.queueDepth;
    }

    /** How the device's data moves: zero copy, user copy or per-tag buffers. */
    public Copy copy() {
        return copy;
    }

    /** Whether the queues use batched commands (UBLK_F_BATCH_IO). */
    public boolean batch() {
        return batch;
    }

    /** Requests whose buffer the kernel could not register for zero copy (registered by hand), summed over queues. */
    public long manualRegistrations() {
        long n = 0;
        for (UblkQueue q : queues) {
            n += q.stats().manualRegistrations;
        }
        return n;
    }

    /** Reads and writes served from a client's shared-memory region (UBLK_IO_F_SHMEM_ZC), summed over queues. */
    public long sharedMemoryRequests() {
        long n = 0;
        for (UblkQueue q : queues) {
            n += q.stats().shared;
        }
        return n;
    }

    /** Batched commands: COMMIT_IO_CMDS sent, summed over queues (requests / this = results per commit). */
    public long commitCommands() {
        long n = 0;
        for (UblkQueue q : queues) {
            n += q.stats().commitCommands;
        }
        return n;
    }

    /** The socket clients hand their shared-memory regions on, or null without {@link Config#shmem}. */
    public java.nio.file.Path sharedMemorySocket() {
        return shmemSocket == null ? null : ShmemSocket.path(id());
    }

    public BlockDevice device() {
        return device;
    }

    public Config config() {
        return config;
    }

    public UblkQueue queue(int q) {
        return queues[q];
    }

    /** Requests served so far per ublk op (index = UBLK_IO_OP_*), summed over queues; approximate while running. */
    public long[] opCounts() {
        long[] sum = new long[UblkQueue.OPS];
        for (UblkQueue q : queues) {
            long[] c = q.stats().ops;
            for (int i = 0; i < sum.length; i++) {
                sum[i] += c[i];
            }
        }
        return sum;
    }

    /**
     * Bytes the JVM has allocated on queue {@code q}'s thread so far (-1 if the JVM cannot tell):
     * flat in steady state, since the data path allocates nothing per I/O.
     */
    public long allocatedBytes(int q) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (mx instanceof com.sun.management.ThreadMXBean && threads[q].isAlive()) {
            return ((com.sun.management.ThreadMXBean) mx).getThreadAllocatedBytes(threads[q].getId());
        }
        return -1;
    }

    /** Requests completed with an error so far, summed over queues. */
    public long errorCount() {
        long n = 0;
        for (UblkQueue q : queues) {
            n += q.stats().errors;
        }
        return n;
    }

    /** Blocks until every queue thread has ended (after STOP_DEV, from us or from another process). */
    public void awaitStopped() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    /** Waits at most {@code millis} for every queue thread to end; whether they all have. */
    public boolean awaitStopped(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (Thread t : threads) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left > 0) {
                t.join(left);
            }
        }
        return stopped();
    }

    /** Whether every queue thread has ended. */
    public boolean stopped() {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stops and deletes the device: STOP_DEV (the kernel waits for in-flight I/O, then aborts the
     * queues' commands), waits for the queue threads, closes the char device and DEL_DEV.
     * Idempotent and safe to call from a shutdown hook.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int id = info.devId;
        endSharedMemory();
        if (handingOver) {
            // the queues ended on ABORT after QUIESCE_DEV: let go of the disk, which waits for the next server
            joinAll(threads, 30_000);
            LibC.close(charFd);
            ctrl.close();
            if (cpuMasks != 0) {
                UnsafeApi.freeMemory(cpuMasks);
            }
            device.close();
            return;
        }
        try (UblkControl stopper = UblkControl.open()) {
            // A separate control instance: ours may be busy in another thread.
            stopper.stopDevice(id);
        } catch (RuntimeException e) {
            ctrl.stopDevice(id);
        }
        joinAll(threads, 30_000);
        LibC.close(charFd);
        ctrl.deleteDevice(id);
        ctrl.close();
        if (cpuMasks != 0) {
            UnsafeApi.freeMemory(cpuMasks);
        }
        device.close();
    }

    /**
     * Grows the disk while it is served (UPDATE_SIZE): first the backend, then the kernel's capacity, which tells the
     * disk's users (a mounted file system can then grow, e.g. with resize2fs).
     *
     * @throws UblkException with one line when the kernel, the backend or the size does not allow it
     */
    public synchronized void resize(long newBytes) {
        try (UblkControl c = UblkControl.open()) {
            if ((c.features() & UBLK_F_UPDATE_SIZE) == 0) {
                throw new UblkException("this kernel's ublk driver cannot resize a live device (UPDATE_SIZE, Linux 6.14+)");
            }
            try {
                device.grow(newBytes);
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                throw new UblkException("cannot grow ublk device " + id() + ": " + e.getMessage());
            }
            int r = c.updateSize(id(), newBytes >> 9);
            if (r < 0) {
                throw new UblkException("UPDATE_SIZE on ublk device " + id() + " failed: " + LibC.strerror(-r), -r);
            }
        }
    }

    /**
     * Hands the disk over to a new server ('ublk upgrade'): QUIESCE_DEV waits until the I/O this server has is
     * done and parks new I/O; the queues then end on ABORT, and {@link #close()} lets go of the device without
     * stopping or deleting it, so that the new server takes it with START/END_USER_RECOVERY.
     *
     * @throws UblkException when the device was not made for it or in-flight I/O did not finish in time
     */
    public void handOver(long timeoutMs) {
        if ((info.flags & UBLK_F_QUIESCE) == 0) {
            throw new UblkException("ublk device " + id() + " cannot be handed over: it was made without --recoverable"
                    + " or on a kernel without QUIESCE");
        }
        // UNREG_BUF freezes the disk's queue, which cannot happen while it is quiesced with I/O parked: end the
        // regions first (their clients hand them to the new server again)
        endSharedMemory();
        handingOver = true;
        int r;
        try (UblkControl c = UblkControl.open()) {
            r = c.quiesce(id(), timeoutMs);
        }
        if (r < 0) {
            handingOver = false;
            throw new UblkException("QUIESCE_DEV on ublk device " + id() + " failed: " + LibC.strerror(-r)
                    + (r == -Errno.EBUSY ? " (in-flight I/O did not finish within " + timeoutMs + " ms)" : ""), -r);
        }
    }

    /** Ends every client's connection: their regions are unregistered and unmapped while the disk still serves. */
    private synchronized void endSharedMemory() {
        if (shmemSocket != null) {
            shmemSocket.close();
            shmem.close();
            shmemSocket = null;
        }
    }

    /** Whether {@link #handOver} succeeded: the device outlives this server. */
    public boolean handedOver() {
        return handingOver;
    }

    /** Whether {@code /dev/ublkb<id>} exists. */
    public static boolean blockDeviceExists(int id) {
        return new File("/dev/ublkb" + id).exists();
    }
}
