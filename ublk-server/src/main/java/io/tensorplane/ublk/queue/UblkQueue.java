package io.tensorplane.ublk.queue;

import static io.tensorplane.ublk.ctrl.UblkAbi.*;

import io.tensorplane.engine.BlockDevice;
import io.tensorplane.engine.ChannelHost;
import io.tensorplane.engine.Errno;
import io.tensorplane.engine.IoChannel;
import io.tensorplane.engine.IoCompletion;
import io.tensorplane.engine.RegisteredBufferIo;
import io.tensorplane.ublk.ctrl.BatchIo;
import io.tensorplane.ublk.ctrl.IoCmd;
import io.tensorplane.ublk.ctrl.IoDesc;
import io.tensorplane.ublk.ctrl.UblkControl;
import io.tensorplane.uring.CqeHandler;
import io.tensorplane.uring.ErrnoException;
import io.tensorplane.uring.IoUring;
import io.tensorplane.uring.IoUringLayout;
import io.tensorplane.uring.LibC;
import io.tensorplane.uring.ProvidedBufferRing;
import io.tensorplane.uring.SharedRing;
import io.tensorplane.uring.UserData;
import java.util.concurrent.CountDownLatch;
import org.agrona.UnsafeApi;

/**
 * One ublk hardware queue, served start to finish by the thread that runs it.
 *
 * <p>That thread creates the queue's ring, maps the read-only descriptor array, issues FETCH_REQ
 * for every tag (which makes it the queue's owner in the kernel's eyes) and then loops: completions
 * of I/O commands carry a request whose descriptor is decoded in place and dispatched to the
 * thread's own {@link IoChannel}; each result goes back as COMMIT_AND_FETCH_REQ, and all commits of
 * an iteration are submitted with one {@code io_uring_enter}. Before blocking for the next request
 * it spins for a while, so a busy device is served without a system call per request.
 *
 * <p>The queue lends its ring to the backend ({@link SharedRing}, offered through the channel's
 * {@link ChannelHost}): an io_uring backend puts its reads and writes on it, so one
 * {@code io_uring_enter} submits the iteration's commits and backend I/O together, and one wait
 * covers ublk requests and backend completions alike. Completions are told apart by the route in
 * the top byte of their user data (0: a ublk command, whose tag is the rest). A backend with a ring of
 * its own instead is watched through its completion descriptor with a multishot poll on this ring;
 * one whose completions only come with time (emulated latency) is polled while I/O is in flight.
 *
 * <p>With batched commands ({@code UBLK_F_BATCH_IO}, Linux 7.x) there is no command per tag: PREP_IO_CMDS hands the
 * kernel every tag once, two multishot FETCH_IO_CMDS (one per provided-buffer group, so one can be re-armed while
 * the other delivers) bring the tags of ready requests, many per completion, and the results an iteration gathers
 * go back in one COMMIT_IO_CMDS, queued just before the iteration's {@code io_uring_enter}.
 *
 * <p>In steady state nothing here allocates: the descriptor, the per-tag buffers and the per-tag
 * state are all preallocated, and the queue itself is the {@link CqeHandler} and {@link IoCompletion}.
 */
public final class UblkQueue implements Runnable, CqeHandler, IoCompletion {
    /** Size of the per-op counter array (ops 0..7). */
    public static final int OPS = 8;
    private final int devId;
    private final int qId;
    private final int depth;
    private final int charFd;
    private final Copy copy;
    private final boolean userCopy;
    private final boolean zeroCopy;
    /** UBLK_F_BATCH_IO: PREP/COMMIT/FETCH_IO_CMDS instead of FETCH_REQ and COMMIT_AND_FETCH_REQ per tag. */
    private final boolean batch;
    /** Test aid: ask the kernel to register request buffers where it cannot, so every request takes the fallback. */
    private final boolean forceRegFallback;
    private final int maxIoBytes;
    private final BlockDevice device;
    private final long spinNanos;
    private final long cpuMask;          // 0: no pinning
    private final boolean coopTaskrun;
    private final CountDownLatch fetched;
    private final QueueStats stats = new QueueStats();

    private IoUring ring;
    private IoChannel channel;
    private long descs;
    private long descBytes;
    private long bufs;
    private long bufBytes;
    private final int[] tagOp;
    /** The tag's request is in a shared-memory region (UBLK_IO_F_SHMEM_ZC): nothing to copy in or out. */
    private final boolean[] tagShared;
    /** The device's shared-memory regions (UBLK_F_SHMEM_ZC), or null. */
    private final SharedRegions regions;
    /** Zero copy: the tag's request buffer was registered by hand (UBLK_IO_F_NEED_REG_BUF) at {@link #manualIndex}. */
    private final boolean[] tagManual;
    private RegisteredBufferIo zc;
    private int finished;                // tags whose command ended (ABORT or error): not re-fetched
    /**
     * A command ended with ABORT: the device is stopping or being handed over. QUIESCE_DEV aborts only the tags that
     * wait idle in the kernel (it waits for one per queue, not all); a tag whose request we still hold gets, with its
     * commit, a fresh command that nothing completes until this ring goes. So the queue ends once it holds no
     * request, not once every tag has been aborted.
     */
    private boolean aborting;
    /** Requests the kernel handed us whose result is not yet queued as a commit. */
    private int held;
    /** REGISTER_IO_BUF / UNREGISTER_IO_BUF commands whose completion has not come. */
    private int bufferCommands;
    private final boolean fixedBuffers;
    private final boolean lendRing;
    private final Lender lender = new Lender();
    /** How the backend's completions reach this loop: through our ring, its descriptor, or polling. */
    private int backendFd = IoChannel.POLL_WHILE_IN_FLIGHT;
    /** Whether the multishot poll on {@link #backendFd} is armed. */
    private boolean backendWatched;
    private volatile Throwable failure;
    private volatile boolean started;

    // ---- batched commands (only with batch) ----
    /** Commit buffers: a request's result waits in {@link #commitCur} until the iteration's COMMIT_IO_CMDS. */
    private static final int COMMIT_BUFFERS = 4;
    /** Two fetch commands, each on a provided-buffer group of its own. */
    private static final int FETCHES = 2;
    private long batchMem;
    private long batchBytes;
    private int batchFlags;
    private int elemBytes;
    private long commitBufs;
    private long commitBufBytes;
    /** Bit i: commit buffer i is submitted and its completion has not come yet. */
    private int commitBusy;
    private int commitCur;
    private int commitCount;
    private long fetchBufs;
    private int fetchBufBytes;
    private final ProvidedBufferRing[] fetchRings = new ProvidedBufferRing[FETCHES];
    /** Where the next tags of each fetch buffer start (the ring consumes it incrementally). */
    private final int[] fetchOffset = new int[FETCHES];
    /** Fetch commands that ended for good (the queue is stopping, or an error). */
    private int fetchesEnded;
    private int prepResult = 1;

    /**
     * @param spinNanos how long to poll for new requests before blocking in the kernel (0 = never spin)
     * @param cpuMask   address of a CPU mask of {@code UblkControl.CPU_MASK_BYTES} to pin to, or 0
     * @param fetched   counted down once this queue has submitted FETCH_REQ for every tag (or failed)
     */
    public UblkQueue(int devId, int qId, int depth, int charFd, Copy copy, boolean forceRegFallback, int maxIoBytes,
                     BlockDevice device, long spinNanos, long cpuMask, boolean coopTaskrun, boolean fixedBuffers,
                     boolean lendRing, boolean batch, SharedRegions regions, CountDownLatch fetched) {
        this.devId = devId;
        this.qId = qId;
        this.depth = depth;
        this.charFd = charFd;
        this.copy = copy;
        this.userCopy = copy == Copy.USER;
        this.zeroCopy = copy == Copy.ZERO;
        this.batch = batch;
        if (batch && zeroCopy) {
            throw new IllegalArgumentException("batched commands with zero copy are not supported");
        }
        this.forceRegFallback = forceRegFallback;
        this.maxIoBytes = maxIoBytes;
        this.device = device;
        this.spinNanos = spinNanos;
        this.cpuMask = cpuMask;
        this.fetched = fetched;
        this.coopTaskrun = coopTaskrun;
        this.fixedBuffers = fixedBuffers;
        this.lendRing = lendRing;
        this.tagOp = new int[depth];
        this.tagManual = new boolean[depth];
        this.tagShared = new boolean[depth];
        this.regions = regions;
    }

    public int queueId() {
        return qId;
    }

    /**
     * Tags whose command the kernel ended (ABORT or an error) before the queue did; after a hand-over, fewer than the
     * depth when the server held requests at the time (their commands end with the ring).
     */
    public int endedTags() {
        return finished;
    }

    /** Why the queue thread failed, or null. */
    public Throwable failure() {
        return failure;
    }

    public QueueStats stats() {
        return stats;
    }

    @Override
    public void run() {
        try {
            setUp();
        } catch (Throwable t) {
            failure = t;
            fetched.countDown();
            tearDown();
            return;
        }
        started = true;
        fetched.countDown();
        try {
            loop();
        } catch (Throwable t) {
            failure = t;
        } finally {
            tearDown();
        }
    }

    private void setUp() {
        if (cpuMask != 0) {
            // Best effort: a failure to pin costs speed, not correctness.
            LibC.sched_setaffinity(0, UblkControl.CPU_MASK_BYTES, cpuMask);
        }
        int page = 4096;
        descBytes = IoDesc.mmapLength(depth, page);
        descs = LibC.mmap(0, descBytes, LibC.PROT_READ, LibC.MAP_SHARED | LibC.MAP_POPULATE, charFd, IoDesc.mmapOffset(qId, page));
        if (descs == LibC.MAP_FAILED) {
            descs = 0;
            throw new ErrnoException("mmap of /dev/ublkc" + devId + " queue " + qId + " descriptors", LibC.errno());
        }
        // With zero copy the data never passes through this process: no per-tag buffers.
        bufBytes = zeroCopy ? 0 : (long) depth * maxIoBytes;
        bufs = zeroCopy ? 0 : LibC.mmap(0, bufBytes, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (bufs == LibC.MAP_FAILED) {
            bufs = 0;
            throw new ErrnoException("mmap of " + bufBytes + " bytes of I/O buffers", LibC.errno());
        }
        // With cooperative task running the kernel does not interrupt this thread for each request;
        // it raises IORING_SQ_TASKRUN instead, which the spin loop watches, and any system call we
        // make anyway (commits, user copy) delivers the requests.
        int flags = IoUringLayout.IORING_SETUP_SINGLE_ISSUER
                | (coopTaskrun ? IoUringLayout.IORING_SETUP_COOP_TASKRUN | IoUringLayout.IORING_SETUP_TASKRUN_FLAG : 0);
        // Room for a command and a backend I/O (two for a write-zeroes done as two linked fallocates) per tag.
        ring = IoUring.create(2 * depth, 4 * depth, flags);
        ring.registerFiles(charFd);
        if (zeroCopy) {
            // Slot t: where the kernel registers tag t's request (AUTO_BUF_REG); slot depth + t: where we register it
            // by hand when the kernel could not (UBLK_IO_F_NEED_REG_BUF).
            int r = ring.registerSparseBuffers(2 * depth);
            if (r < 0) {
                throw new ErrnoException("io_uring_register(BUFFERS2, sparse) for zero copy on queue " + qId, -r);
            }
        } else if (fixedBuffers && ring.registerBuffer(bufs, bufBytes) == 0) {
            lender.fixedBase = bufs;
            lender.fixedEnd = bufs + bufBytes;
        }
        channel = device.openChannel(lendRing ? lender : ChannelHost.NONE);
        backendFd = channel.completionFd();
        if (zeroCopy) {
            zc = channel.registeredBufferIo();
            if (zc == null) {
                throw new IllegalStateException("backend '" + device.spec() + "' offered zero copy but its channel on queue "
                        + qId + " cannot read or write registered buffers");
            }
        }
        if (batch) {
            setUpBatch();
            return;
        }
        for (int tag = 0; tag < depth; tag++) {
            queueCommand(UBLK_U_IO_FETCH_REQ, tag, -1);
        }
        int r;
        do {
            r = ring.submit();
        } while (r == -Errno.EINTR || r == -Errno.EAGAIN);
        if (r < 0) {
            throw new ErrnoException("io_uring_enter(FETCH_REQ) on queue " + qId, -r);
        }
    }

    /**
     * Batched commands: one PREP_IO_CMDS for every tag (waited for, so a refusal fails the start), then the two
     * multishot fetches, each on a one-entry provided-buffer ring whose buffer holds two bytes per tag it delivers.
     */
    private void setUpBatch() {
        int page = 4096;
        batchFlags = userCopy ? 0 : BatchIo.F_HAS_BUF_ADDR;
        elemBytes = BatchIo.elemBytes(batchFlags);
        commitBufBytes = (long) depth * elemBytes;
        fetchBufBytes = (depth * BatchIo.FETCH_ELEM_BYTES + page - 1) / page * page;
        long ringBytes = ProvidedBufferRing.bytesFor(1, page);
        batchBytes = FETCHES * ringBytes + (long) FETCHES * fetchBufBytes + COMMIT_BUFFERS * commitBufBytes;
        batchMem = LibC.mmap(0, batchBytes, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_POPULATE, -1, 0);
        if (batchMem == LibC.MAP_FAILED) {
            batchMem = 0;
            throw new ErrnoException("mmap of " + batchBytes + " bytes of batch command buffers", LibC.errno());
        }
        fetchBufs = batchMem + FETCHES * ringBytes;
        commitBufs = fetchBufs + (long) FETCHES * fetchBufBytes;
        for (int g = 0; g < FETCHES; g++) {
            fetchRings[g] = ProvidedBufferRing.register(ring, batchMem + g * ringBytes, 1, g, IoUringLayout.IOU_PBUF_RING_INC);
        }
        // PREP_IO_CMDS: every tag, with its buffer unless user copy
        long prep = commitBufs;
        for (int tag = 0; tag < depth; tag++) {
            BatchIo.putElem(prep, tag, batchFlags, tag, 0, 0, bufs + (long) tag * maxIoBytes);
        }
        batchCommand(UBLK_U_IO_PREP_IO_CMDS, prep, depth, PREP);
        int r;
        do {
            r = ring.submitAndWait(1);
        } while (r == -Errno.EINTR || r == -Errno.EAGAIN);
        if (r < 0) {
            throw new ErrnoException("io_uring_enter(PREP_IO_CMDS) on queue " + qId, -r);
        }
        while (prepResult == 1) {
            if (ring.drainCompletions(this) == 0) {
                r = ring.submitAndWait(1);
                if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN) {
                    throw new ErrnoException("io_uring_enter(PREP_IO_CMDS) on queue " + qId, -r);
                }
            }
        }
        if (prepResult < 0) {
            throw new ErrnoException("UBLK_U_IO_PREP_IO_CMDS on queue " + qId, -prepResult);
        }
        commitCur = 0;
        for (int g = 0; g < FETCHES; g++) {
            armFetch(g, true);
        }
        do {
            r = ring.submit();
        } while (r == -Errno.EINTR || r == -Errno.EAGAIN);
        if (r < 0) {
            throw new ErrnoException("io_uring_enter(FETCH_IO_CMDS) on queue " + qId, -r);
        }
    }

    /** Queues a PREP or COMMIT of {@code n} elements at {@code buf}. */
    private void batchCommand(int cmdOp, long buf, int n, long userData) {
        long sqe = ring.nextSqe();
        while (sqe == 0) {
            submit(0);
            sqe = ring.nextSqe();
        }
        IoUring.prepUringCmd(sqe, 0, true, cmdOp, userData);
        UnsafeApi.putLong(sqe + IoUringLayout.SQE_ADDR, buf);
        UnsafeApi.putInt(sqe + IoUringLayout.SQE_LEN, n * elemBytes);
        BatchIo.putHeader(sqe + IoUringLayout.SQE_CMD, qId, batchFlags, n, elemBytes);
    }

    /**
     * (Re-)arms the multishot fetch of group {@code g}; {@code refill} gives its buffer back to the ring first
     * (it was used up: the kernel moves on to the next buffer, and this group's ring has only the one).
     */
    private void armFetch(int g, boolean refill) {
        if (refill) {
            fetchOffset[g] = 0;
            fetchRings[g].add(fetchBufs + (long) g * fetchBufBytes, fetchBufBytes, 0);
        }
        long sqe = ring.nextSqe();
        while (sqe == 0) {
            submit(0);
            sqe = ring.nextSqe();
        }
        IoUring.prepUringCmd(sqe, 0, true, UBLK_U_IO_FETCH_IO_CMDS, FETCH | g);
        UnsafeApi.putInt(sqe + IoUringLayout.SQE_OP_FLAGS, IoUringLayout.IORING_URING_CMD_MULTISHOT);
        IoUring.selectBuffer(sqe, g);
        BatchIo.putHeader(sqe + IoUringLayout.SQE_CMD, qId, 0, fetchBufBytes / BatchIo.FETCH_ELEM_BYTES,
                BatchIo.FETCH_ELEM_BYTES);
    }

    /** A fetch completion: {@code res} bytes of tags at the group's offset, or why the multishot ended. */
    private void onFetch(int g, int res, int flags) {
        boolean more = (flags & IoUringLayout.IORING_CQE_F_MORE) != 0;
        if (res > 0) {
            long buf = fetchBufs + (long) g * fetchBufBytes;
            int start = fetchOffset[g];
            int end = start + res;
            fetchOffset[g] = end;
            for (int off = start; off < end; off += BatchIo.FETCH_ELEM_BYTES) {
                int tag = BatchIo.fetchedTag(buf, off);
                if (tag < depth) {
                    handle(tag);
                } else {
                    stats.errors++;
                }
            }
        }
        if (more) {
            return;
        }
        if (res >= 0 || res == -Errno.ENOBUFS) {
            // The multishot stopped with the queue alive (its buffer used up, or the CQ was full): arm it again,
            // with its buffer given back unless the kernel still holds some of it.
            armFetch(g, res < 0 || (flags & IoUringLayout.IORING_CQE_F_BUF_MORE) == 0);
        } else {
            // UBLK_IO_RES_ABORT: the queue is going away
            fetchesEnded++;
        }
    }

    /** Queues the gathered results as one COMMIT_IO_CMDS, if there are any and a spare buffer takes the next ones. */
    private void flushCommits() {
        if (commitCount == 0) {
            return;
        }
        int free = ~commitBusy & ~(1 << commitCur) & ((1 << COMMIT_BUFFERS) - 1);
        if (free == 0) {
            // every other buffer is still with the kernel: keep gathering, its completion comes soon
            return;
        }
        batchCommand(UBLK_U_IO_COMMIT_IO_CMDS, commitBufs + commitCur * commitBufBytes, commitCount,
                COMMIT | ((long) commitCount << 8) | commitCur);
        stats.commitCommands++;
        commitBusy |= 1 << commitCur;
        commitCur = Integer.numberOfTrailingZeros(free);
        commitCount = 0;
    }

    private void onCommit(long userData, int res) {
        int b = (int) (userData & 0xff);
        int n = (int) ((userData >>> 8) & 0xffff);
        commitBusy &= ~(1 << b);
        int handled = res < 0 ? 0 : res / elemBytes;
        if (handled < n) {
            // the kernel refused these results (a tag it did not hand us); nothing can be done for them
            stats.errors += n - handled;
        }
    }

    private void loop() {
        final IoUring ring = this.ring;
        final IoChannel channel = this.channel;
        long idleSince = 0;
        while (true) {
            int work = ring.drainCompletions(this);
            if (channel.inFlight() > 0) {
                // pushes a backend's own ring (or delivers due emulated completions); cheap when idle
                work += channel.poll();
                if (backendFd >= 0 && !backendWatched) {
                    watchBackend();
                }
            }
            if (batch) {
                flushCommits();
                if (fetchesEnded == FETCHES && channel.inFlight() == 0 && commitCount == 0 && commitBusy == 0) {
                    return;
                }
            } else if ((finished == depth || aborting) && channel.inFlight() == 0 && ring.pendingSubmissions() == 0) {
                if (finished == depth) {
                    return; // every tag aborted or stopped
                }
                if (held == 0 && bufferCommands == 0) {
                    // Aborted, and the server holds no request: the tags not aborted end with the ring. A request
                    // dispatched just before the abort may still wait in task work: take it before leaving, since
                    // one left unread when the ring goes is failed with EIO, not kept for the next server.
                    reap();
                    if (ring.drainCompletions(this) == 0) {
                        return;
                    }
                    continue;
                }
            }
            if (work > 0) {
                idleSince = 0;
                if (ring.pendingSubmissions() > 0) {
                    submit(0);
                }
                continue;
            }
            if (ring.pendingSubmissions() > 0) {
                submit(0);
                continue;
            }
            if (coopTaskrun && ring.taskRunPending()) {
                reap();
                continue;
            }
            if (channel.inFlight() > 0 && backendFd == IoChannel.POLL_WHILE_IN_FLIGHT) {
                // completions that come with time, not with an event: keep polling
                Thread.onSpinWait();
                continue;
            }
            if (spinNanos > 0) {
                long now = System.nanoTime();
                if (idleSince == 0) {
                    idleSince = now;
                    continue;
                }
                if (now - idleSince < spinNanos) {
                    Thread.onSpinWait();
                    continue;
                }
            }
            stats.waits++;
            submit(1);
            idleSince = 0;
        }
    }

    private void reap() {
        int r = ring.submitAndReap();
        if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
            throw new ErrnoException("io_uring_enter on queue " + qId, -r);
        }
        stats.enters++;
    }

    private void submit(int minComplete) {
        int r = ring.submitAndWait(minComplete);
        if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
            throw new ErrnoException("io_uring_enter on queue " + qId, -r);
        }
        stats.enters++;
    }

    /** The ring's CQEs: a backend's (by route), the backend descriptor's poll, or a ublk command's. */
    @Override
    public void onCqe(long userData, int res, int flags) {
        int route = UserData.route(userData);
        if (route != 0) {
            lender.routes[route].onCqe(userData, res, flags);
            return;
        }
        if (userData == WATCH) {
            // the backend's descriptor is readable: the next loop iteration polls it
            if ((flags & IoUringLayout.IORING_CQE_F_MORE) == 0) {
                backendWatched = false;
            }
            return;
        }
        if (userData >= REGISTER) {
            long kind = userData & KIND_MASK;
            if (kind == FETCH) {
                onFetch((int) (userData & 0xff), res, flags);
            } else if (kind == COMMIT) {
                onCommit(userData, res);
            } else if (kind == PREP) {
                prepResult = res;
            } else {
                onBufferCommand(userData, res);
            }
            return;
        }
        onCommand((int) userData, res);
    }

    /** Arms a multishot poll on the backend's completion descriptor, so the queue's wait covers it. */
    private void watchBackend() {
        long sqe = ring.nextSqe();
        if (sqe == 0) {
            submit(0);
            sqe = ring.nextSqe();
        }
        IoUring.prepPollAdd(sqe, backendFd, IoUringLayout.POLLIN, true, WATCH);
        backendWatched = true;
    }

    /** A FETCH or COMMIT_AND_FETCH completed: {@code res == 0} means a request waits in the descriptor. */
    private void onCommand(int tag, int res) {
        if (res == UBLK_IO_RES_OK) {
            held++;
            handle(tag);
        } else {
            // UBLK_IO_RES_ABORT (the device is stopping) or an error: this tag is done for good.
            finished++;
            if (res == UBLK_IO_RES_ABORT) {
                aborting = true;
            }
        }
    }

    private void handle(int tag) {
        long d = descs + (long) tag * IoDesc.SIZE;
        int opFlags = UnsafeApi.getInt(d + IoDesc.OP_FLAGS);
        int op = opFlags & 0xff;
        tagOp[tag] = op;
        stats.requests++;
        stats.ops[op & (OPS - 1)]++;
        if (zeroCopy && (op == UBLK_IO_OP_READ || op == UBLK_IO_OP_WRITE)) {
            if ((opFlags & UBLK_IO_F_NEED_REG_BUF) != 0) {
                // The kernel could not register the request's pages (UBLK_AUTO_BUF_REG_FALLBACK): do it by hand,
                // then dispatch when that completes.
                stats.manualRegistrations++;
                bufferCommand(UBLK_U_IO_REGISTER_IO_BUF, tag, REGISTER);
                return;
            }
            dispatchZeroCopy(tag, tag);
            return;
        }
        long sectors = UnsafeApi.getInt(d + IoDesc.NR_SECTORS) & 0xffffffffL;
        long offset = UnsafeApi.getLong(d + IoDesc.START_SECTOR) << 9;
        if ((opFlags & UBLK_IO_F_SHMEM_ZC) != 0 && (op == UBLK_IO_OP_READ || op == UBLK_IO_OP_WRITE)) {
            dispatchShared(tag, opFlags, offset, sectors << 9, UnsafeApi.getLong(d + IoDesc.ADDR));
            return;
        }
        long buf = bufs + (long) tag * maxIoBytes;
        switch (op) {
            case UBLK_IO_OP_READ: {
                int len = (int) (sectors << 9);
                if (len > maxIoBytes) {
                    commit(tag, -Errno.EINVAL);
                    return;
                }
                channel.read(offset, len, buf, this, tag);
                return;
            }
            case UBLK_IO_OP_WRITE: {
                int len = (int) (sectors << 9);
                if (len > maxIoBytes) {
                    commit(tag, -Errno.EINVAL);
                    return;
                }
                if (userCopy) {
                    long n = LibC.pread(charFd, buf, len, IoDesc.userCopyOffset(qId, tag));
                    if (n != len) {
                        commit(tag, n < 0 ? -LibC.errno() : -Errno.EIO);
                        return;
                    }
                }
                channel.write(offset, len, buf, (opFlags & UBLK_IO_F_FUA) != 0 ? IoChannel.FLAG_FUA : 0, this, tag);
                return;
            }
            case UBLK_IO_OP_FLUSH:
                channel.flush(this, tag);
                return;
            case UBLK_IO_OP_DISCARD:
                channel.discard(offset, sectors << 9, this, tag);
                return;
            case UBLK_IO_OP_WRITE_ZEROES:
                channel.writeZeroes(offset, sectors << 9, this, tag);
                return;
            default:
                commit(tag, -Errno.EOPNOTSUPP);
        }
    }

    /**
     * A request whose pages are in a client's shared-memory region (UBLK_IO_F_SHMEM_ZC): the kernel copied nothing, and
     * the backend reads into or writes from this process's mapping of the same pages, at the region and offset the
     * descriptor names; no pread/pwrite with user copy either.
     */
    private void dispatchShared(int tag, int opFlags, long offset, long bytes, long addr) {
        long at = regions == null ? 0 : regions.address(shmemZcIndex(addr), shmemZcOffset(addr), bytes);
        if (at == 0) {
            // a region this server never mapped (or a length past its end): fail the request, touch nothing
            stats.errors++;
            commit(tag, -Errno.EINVAL);
            return;
        }
        stats.shared++;
        tagShared[tag] = true;
        int len = (int) bytes;
        if ((opFlags & 0xff) == UBLK_IO_OP_READ) {
            channel.read(offset, len, at, this, tag);
        } else {
            channel.write(offset, len, at, (opFlags & UBLK_IO_F_FUA) != 0 ? IoChannel.FLAG_FUA : 0, this, tag);
        }
    }

    /** A zero-copy read or write: the backend moves the data between the device and registered buffer {@code index}. */
    private void dispatchZeroCopy(int tag, int index) {
        long d = descs + (long) tag * IoDesc.SIZE;
        int opFlags = UnsafeApi.getInt(d + IoDesc.OP_FLAGS);
        long sectors = UnsafeApi.getInt(d + IoDesc.NR_SECTORS) & 0xffffffffL;
        long offset = UnsafeApi.getLong(d + IoDesc.START_SECTOR) << 9;
        int len = (int) (sectors << 9);
        if (len > maxIoBytes) {
            complete(tag, -Errno.EINVAL);
        } else if ((opFlags & 0xff) == UBLK_IO_OP_READ) {
            zc.readRegistered(offset, len, index, this, tag);
        } else {
            zc.writeRegistered(offset, len, index, (opFlags & UBLK_IO_F_FUA) != 0 ? IoChannel.FLAG_FUA : 0, this, tag);
        }
    }

    /** REGISTER_IO_BUF or UNREGISTER_IO_BUF of tag's request at its by-hand slot (depth + tag). */
    private void bufferCommand(int cmdOp, int tag, long kind) {
        long sqe = ring.nextSqe();
        while (sqe == 0) {
            submit(0);
            sqe = ring.nextSqe();
        }
        IoUring.prepUringCmd(sqe, 0, true, cmdOp, kind | tag);
        bufferCommands++;
        long c = sqe + IoUringLayout.SQE_CMD;
        UnsafeApi.putShort(c + IoCmd.Q_ID, (short) qId);
        UnsafeApi.putShort(c + IoCmd.TAG, (short) tag);
        UnsafeApi.putLong(c + IoCmd.ADDR, manualIndex(tag));
    }

    private int manualIndex(int tag) {
        return depth + tag;
    }

    private void onBufferCommand(long userData, int res) {
        int tag = (int) (userData & 0xffff);
        bufferCommands--;
        if ((userData & KIND_MASK) == REGISTER) {
            if (res < 0) {
                stats.errors++;
                commit(tag, res);
                return;
            }
            tagManual[tag] = true;
            dispatchZeroCopy(tag, manualIndex(tag));
        } else if (res < 0) {
            // the request completes anyway once it is committed; the slot stays taken until the ring goes
            stats.errors++;
        }
    }

    /** The engine finished the request of {@code tag} (inline or from poll()). */
    @Override
    public void complete(long tag, int result) {
        int t = (int) tag;
        int res = result;
        if (tagManual[t]) {
            // before the commit in the same batch: the request completes once both are done
            tagManual[t] = false;
            bufferCommand(UBLK_U_IO_UNREGISTER_IO_BUF, t, UNREGISTER);
        }
        if (tagShared[t]) {
            tagShared[t] = false;
        } else if (res > 0 && userCopy && tagOp[t] == UBLK_IO_OP_READ) {
            long n = LibC.pwrite(charFd, bufs + (long) t * maxIoBytes, res, IoDesc.userCopyOffset(qId, t));
            if (n != res) {
                res = n < 0 ? -LibC.errno() : -Errno.EIO;
            }
        }
        if (res < 0) {
            stats.errors++;
        }
        commit(t, res);
    }

    private void commit(int tag, int result) {
        if (batch) {
            BatchIo.putElem(commitBufs + commitCur * commitBufBytes, commitCount++, batchFlags, tag, 0, result,
                    bufs + (long) tag * maxIoBytes);
            return;
        }
        held--;
        queueCommand(UBLK_U_IO_COMMIT_AND_FETCH_REQ, tag, result);
    }

    private void queueCommand(int cmdOp, int tag, int result) {
        long sqe = ring.nextSqe();
        while (sqe == 0) {
            // Cannot happen with one command per tag and an SQ of at least depth entries; be safe.
            submit(0);
            sqe = ring.nextSqe();
        }
        IoUring.prepUringCmd(sqe, 0, true, cmdOp, tag);
        long c = sqe + IoUringLayout.SQE_CMD;
        UnsafeApi.putShort(c + IoCmd.Q_ID, (short) qId);
        UnsafeApi.putShort(c + IoCmd.TAG, (short) tag);
        UnsafeApi.putInt(c + IoCmd.RESULT, result);
        if (zeroCopy) {
            // AUTO_BUF_REG: the kernel registers the next request's pages at slot 'tag' (in sqe->addr; the command's
            // addr stays 0), or, failing that, says so in the descriptor instead of failing the request.
            UnsafeApi.putLong(sqe + IoUringLayout.SQE_ADDR,
                    autoBufReg(forceRegFallback ? 2 * depth + tag : tag, UBLK_AUTO_BUF_REG_FALLBACK));
        } else {
            UnsafeApi.putLong(c + IoCmd.ADDR, userCopy ? 0 : bufs + (long) tag * maxIoBytes);
        }
    }

    /** User data of the poll on the backend's descriptor: above every tag, in route 0. */
    private static final long WATCH = 0xffff_ffffL;
    /** User data of REGISTER_IO_BUF / UNREGISTER_IO_BUF (route 0, above WATCH), with the tag in the low bits. */
    private static final long REGISTER = 1L << 32;
    private static final long UNREGISTER = 2L << 32;
    /** Batched commands: FETCH_IO_CMDS (group in the low byte), COMMIT_IO_CMDS (count << 8 | buffer), PREP_IO_CMDS. */
    private static final long FETCH = 3L << 32;
    private static final long COMMIT = 4L << 32;
    private static final long PREP = 5L << 32;
    private static final long KIND_MASK = 7L << 32;

    /** What the queue lends the backend: its ring, routes into its reaping, its registered buffers. */
    private final class Lender implements ChannelHost, SharedRing {
        final CqeHandler[] routes = new CqeHandler[UserData.MAX_ROUTE + 1];
        int nextRoute = 1;
        long fixedBase;
        long fixedEnd;

        @Override
        public <T> T facility(Class<T> type) {
            return type == SharedRing.class ? type.cast(this) : null;
        }

        @Override
        public IoUring ring() {
            return ring;
        }

        @Override
        public int addRoute(CqeHandler handler) {
            if (nextRoute > UserData.MAX_ROUTE) {
                throw new IllegalStateException("the ring of ublk queue " + qId + " has no route left");
            }
            routes[nextRoute] = handler;
            return nextRoute++;
        }

        @Override
        public int fixedBuffer(long address, int length) {
            return fixedEnd != 0 && address >= fixedBase && address + length <= fixedEnd ? 0 : -1;
        }

        @Override
        public long fixedBufferAddress(int index) {
            // the only buffers registered by index are requests' pages, which io_uring addresses from 0
            return 0;
        }
    }

    private void tearDown() {
        if (channel != null) {
            try {
                channel.close();
            } catch (RuntimeException ignored) {
                // closing is best effort
            }
            channel = null;
        }
        if (ring != null) {
            ring.close();
            ring = null;
        }
        if (descs != 0) {
            LibC.munmap(descs, descBytes);
            descs = 0;
        }
        if (bufs != 0) {
            LibC.munmap(bufs, bufBytes);
            bufs = 0;
        }
        if (batchMem != 0) {
            // after the ring: its buffer rings point here
            LibC.munmap(batchMem, batchBytes);
            batchMem = 0;
        }
    }

    /**
     * Where the backend's I/O completes: {@code shared} (on this queue's ring), {@code own} (on a ring of its
     * own, watched through its descriptor), or {@code none} (inline, or polled while in flight).
     */
    public String backendRing() {
        return backendFd == IoChannel.COMPLETES_THROUGH_HOST ? "shared" : backendFd >= 0 ? "own" : "none";
    }

    /** Whether this queue uses batched commands (UBLK_F_BATCH_IO). */
    public boolean batch() {
        return batch;
    }

    /** How this queue moves data. */
    public Copy copy() {
        return copy;
    }

    /** Whether setUp succeeded and the loop ran. */
    public boolean started() {
        return started;
    }

    /** Plain counters written by the queue thread only; readers see approximate values. */
    public static final class QueueStats {
        public long requests;
        public long errors;
        public long enters;
        public long waits;
        /** Zero copy: requests whose buffer the kernel could not register, registered by hand instead. */
        public long manualRegistrations;
        /** Batched commands: COMMIT_IO_CMDS sent (requests / commitCommands = results per commit). */
        public long commitCommands;
        /** Reads and writes that arrived flagged UBLK_IO_F_SHMEM_ZC, served from a client's shared-memory region. */
        public long shared;
        /** Requests per UBLK_IO_OP_* (READ, WRITE, FLUSH, DISCARD, WRITE_SAME, WRITE_ZEROES). */
        public final long[] ops = new long[OPS];
    }
}
